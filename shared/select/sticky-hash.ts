// The sticky bucket hash: one stable, documented function so any tool can compute a user's bucket.
import { BUCKET_COUNT } from '../schema/snapshot.ts';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

/**
 * The bucket in [0, 10000) of the user whose sticky key is `key` on route `routeName`.
 *
 * Definition (stable; changing it moves every user):
 *   bytes  = UTF-8 of `routeName + "\u0000" + key` (WHATWG TextEncoder, so a lone surrogate
 *            is encoded as U+FFFD)
 *   h      = FNV-1a 32-bit over bytes: h = 0x811c9dc5; for each byte b: h = ((h ^ b) * 0x01000193) mod 2^32
 *   bucket = h mod 10000 (h as an unsigned 32-bit integer)
 *
 * Test vectors (routeName, key → h → bucket):
 *   ("", "")                      → 84696351   → 6351
 *   ("main", "user-42")           → 1910649744 → 9744
 *   ("checkout", "ünïcødé-🙂")    → 1133156695 → 6695
 *
 * Pure and total: never throws, the same in Node and workerd.
 */
export function stickyBucket(routeName: string, key: string): number {
  const bytes = encoder.encode(`${routeName}\u0000${key}`);
  let h = FNV_OFFSET_BASIS;
  for (const b of bytes) h = Math.imul(h ^ b, FNV_PRIME);
  return (h >>> 0) % BUCKET_COUNT;
}
