// SnapshotSource on Redis, plus the push channel: `events` carries each new version.
import { Redis } from 'ioredis';
import { storeKeys } from '../../shared/snapshot/store-keys.ts';
import type { SnapshotSource } from '../core/snapshot-source.ts';

export type RedisSource = SnapshotSource & {
  /** Calls `onEvent` for every message on the events channel (and after each resubscribe). */
  subscribe(onEvent: () => void): Promise<void>;
  close(): Promise<void>;
};

export function createRedisSource(options: { url: string; prefix: string }): RedisSource {
  const keys = storeKeys(options.prefix);
  // Fail fast while Redis is down: the edge keeps serving its last snapshot and polls again.
  const redis = new Redis(options.url, { maxRetriesPerRequest: 1, lazyConnect: false, commandTimeout: 5_000, keepAlive: 10_000 });
  redis.on('error', () => {});
  let sub: Redis | undefined;
  return {
    async currentVersion() {
      const v = await redis.get(keys.current);
      if (v === null) return undefined;
      const n = /^[0-9]{1,15}$/.test(v) ? Number(v) : NaN;
      if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${keys.current} holds ${JSON.stringify(v.slice(0, 40))}, expected a positive integer`);
      return n;
    },
    manifest: (version) => redis.get(keys.snapshot(version)),
    async documents(hashes) {
      if (hashes.length === 0) return [];
      return redis.mget(...hashes.map(keys.service));
    },
    async subscribe(onEvent) {
      sub = new Redis(options.url, { maxRetriesPerRequest: null, lazyConnect: false });
      sub.on('error', () => {});
      sub.on('message', () => onEvent());
      sub.on('ready', () => onEvent()); // after a reconnect we may have missed messages
      await sub.subscribe(keys.events);
    },
    async close() {
      redis.disconnect();
      sub?.disconnect();
    },
  };
}
