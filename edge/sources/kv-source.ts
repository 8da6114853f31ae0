// SnapshotSource on Workers KV (binding ZKEDGE_KV): keys `current`, `snapshot:<v>`, `service:<h>`, no prefix.
import { storeKeys } from '../../shared/snapshot/store-keys.ts';
import type { SnapshotSource } from '../core/snapshot-source.ts';

const keys = storeKeys('');

/**
 * Reads the KV namespace the daemon publishes to. Every value is returned as stored text: the
 * snapshot cache verifies it. Throws (as the port says) when KV fails or `current` is not a version.
 */
export function createKvSource(kv: KVNamespace): SnapshotSource {
  return {
    async currentVersion() {
      const v = await kv.get(keys.current, 'text');
      if (v === null) return undefined;
      const n = Number(v);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) {
        throw new Error(`KV key ${keys.current} holds ${JSON.stringify(v.slice(0, 40))}, expected a positive integer`);
      }
      return n;
    },
    manifest: (version) => kv.get(keys.snapshot(version), 'text'),
    // The lazy cache asks for one document at a time; each get is one KV read.
    documents: (hashes) => Promise.all(hashes.map((h) => kv.get(keys.service(h), 'text'))),
  };
}
