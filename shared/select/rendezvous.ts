// Weighted rendezvous (highest random weight) hashing: a key goes to the instance with the highest
// score -w / ln(h(key, id)); removing one instance moves only the keys it held, and each instance
// gets keys in proportion to its weight. O(n) a pick, no shared state.

const encoder = new TextEncoder();

/** FNV-1a 64-bit of the UTF-8 bytes, as a BigInt-free pair of 32-bit halves folded to (0, 1). */
export function unitHash(text: string): number {
  const bytes = encoder.encode(text);
  // two independent 32-bit FNV-1a lanes give 53 usable bits without BigInt
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (const byte of bytes) {
    a = Math.imul(a ^ byte, 0x01000193) >>> 0;
    b = Math.imul(b ^ byte, 0x01000193) >>> 0;
    b = (b ^ (a >>> 7)) >>> 0;
  }
  // avalanche (murmur3 fmix32) so nearby keys spread out
  const mix = (h: number) => {
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    return (h ^ (h >>> 16)) >>> 0;
  };
  const hi = mix(a) >>> 11; // 21 bits
  const lo = mix(b ^ a); // 32 bits
  return (hi * 4294967296 + lo + 0.5) / 9007199254740992; // strictly inside (0, 1)
}

/** Index of the instance (by id) that owns `key`; -1 when no weight is positive. */
export function rendezvousPick(key: string, ids: readonly string[], weights: readonly number[]): number {
  let best = -1;
  let bestScore = -Infinity;
  for (let i = 0; i < ids.length; i++) {
    const w = weights[i]!;
    if (w <= 0) continue;
    const score = -w / Math.log(unitHash(`${ids[i]}\u0000${key}`));
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}
