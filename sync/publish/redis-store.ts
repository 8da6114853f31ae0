// SnapshotStore on Redis: documents by hash, manifests by version, `current`, `history`, fenced by epoch.
import { Redis } from 'ioredis';
import { ZkedgeError, err, ok, type Result } from '../../shared/errors.ts';
import { storeKeys } from '../../shared/snapshot/store-keys.ts';
import { verifyManifest, verifyServiceDocument } from '../../shared/snapshot/verify.ts';
import { createDocumentRefs } from './document-refs.ts';
import type { ServiceDocument } from '../../shared/schema/snapshot.ts';
import type { PublishInput, SnapshotStore, StoreState } from './snapshot-store.ts';

// One atomic step after the documents are written, so a deposed leader cannot interleave:
// refuse a version not above the highest in history and an epoch below the stored one.
const PUBLISH_SCRIPT = `
local snapshotKey, currentKey, historyKey, epochKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local version, manifest, epoch, makeCurrent, keep, prefix, channel = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]
local top = redis.call('ZREVRANGE', historyKey, 0, 0, 'WITHSCORES')
if top[2] and tonumber(top[2]) >= version then
  return redis.error_reply('FENCED version ' .. version .. ' is not above the highest published ' .. top[2])
end
local stored = tonumber(redis.call('GET', epochKey) or '0')
if epoch < stored then
  return redis.error_reply('FENCED epoch ' .. epoch .. ' is below the highest publishing epoch ' .. stored)
end
redis.call('SET', epochKey, epoch)
redis.call('SET', snapshotKey, manifest)
if makeCurrent == '1' then redis.call('SET', currentKey, version) end
redis.call('ZADD', historyKey, version, version)
local trimmed = {}
local n = redis.call('ZCARD', historyKey)
if n > keep then
  local current = redis.call('GET', currentKey)
  for _, v in ipairs(redis.call('ZRANGE', historyKey, 0, n - keep - 1)) do
    if v ~= current then -- a pinned version stays as long as it is current
      redis.call('DEL', prefix .. 'snapshot:' .. v)
      redis.call('ZREM', historyKey, v)
      table.insert(trimmed, v)
    end
  end
end
redis.call('PUBLISH', channel, version)
return trimmed
`;

const SET_CURRENT_SCRIPT = `
local currentKey, epochKey, snapshotKey = KEYS[1], KEYS[2], KEYS[3]
local version, epoch, channel = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local stored = tonumber(redis.call('GET', epochKey) or '0')
if epoch < stored then
  return redis.error_reply('FENCED epoch ' .. epoch .. ' is below the highest publishing epoch ' .. stored)
end
if redis.call('EXISTS', snapshotKey) == 0 then
  return redis.error_reply('NOVERSION version ' .. version .. ' is not stored (trimmed from history?)')
end
redis.call('SET', epochKey, epoch)
redis.call('SET', currentKey, version)
redis.call('PUBLISH', channel, version)
return 1
`;

export type RedisStoreOptions = { url: string; prefix: string; keepVersions: number };

type RedisWithPublish = Redis & {
  zkedgePublish(k1: string, k2: string, k3: string, k4: string, ...args: (string | number)[]): Promise<string[]>;
  zkedgeSetCurrent(k1: string, k2: string, k3: string, ...args: (string | number)[]): Promise<number>;
};

export function createRedisStore(options: RedisStoreOptions): SnapshotStore & { readonly redis: Redis } {
  const keys = storeKeys(options.prefix);
  const redis = new Redis(options.url, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true, commandTimeout: 5_000, keepAlive: 10_000 }) as RedisWithPublish;
  redis.on('error', () => {}); // connection errors surface as failed commands; ioredis reconnects
  redis.defineCommand('zkedgePublish', { numberOfKeys: 4, lua: PUBLISH_SCRIPT });
  redis.defineCommand('zkedgeSetCurrent', { numberOfKeys: 3, lua: SET_CURRENT_SCRIPT });
  const written = new Set<string>();
  const refs = createDocumentRefs();
  let refsLoaded = false;

  /** Once per process (and after data loss): the documents every kept version references. */
  const loadRefs = async () => {
    if (refsLoaded) return;
    const versions = (await redis.zrange(keys.history, '0', '-1')).map(Number);
    const texts = versions.length === 0 ? [] : await redis.mget(...versions.map(keys.snapshot));
    for (const [i, v] of versions.entries()) {
      const text = texts[i];
      if (text === null || text === undefined) continue;
      try {
        refs.add(v, Object.values((JSON.parse(text) as { services?: Record<string, string> }).services ?? {}));
      } catch {
        // an unreadable manifest: its documents are kept (leaked), never deleted by mistake
      }
    }
    refsLoaded = true;
  };

  /** Deletes the documents only trimmed versions referenced (DESIGN.md: deleted with their versions). */
  const collect = async (trimmed: number[]) => {
    const orphans = refs.release(trimmed);
    if (orphans.length === 0) return;
    for (const h of orphans) written.delete(h);
    await redis.del(...orphans.map(keys.service));
  };

  const fail = (what: string, e: unknown) => {
    const message = String((e as Error).message);
    const code = message.startsWith('FENCED') ? 'fenced' : message.startsWith('NOVERSION') ? 'not_found' : 'store_unavailable';
    return err(new ZkedgeError(code, `${what}: ${message}`, { cause: e }));
  };

  return {
    redis,
    async readState(): Promise<Result<StoreState>> {
      try {
        const [top, current] = await Promise.all([redis.zrevrange(keys.history, 0, 0), redis.get(keys.current)]);
        const highest = top[0] === undefined ? 0 : Number(top[0]);
        let highestHash: string | undefined;
        if (highest > 0) {
          const text = await redis.get(keys.snapshot(highest));
          try {
            highestHash = text === null ? undefined : (JSON.parse(text) as { hash?: string }).hash;
          } catch {
            highestHash = undefined;
          }
        }
        return ok({ highest, current: current === null ? undefined : Number(current), highestHash });
      } catch (e) {
        return fail('reading the Redis store state', e);
      }
    },
    async publish(input: PublishInput) {
      try {
        // Content-addressed: writing a document twice is harmless, skipping one Redis holds saves the bytes.
        const missing = [...input.documents].filter(([h]) => !written.has(h));
        if (missing.length > 0) {
          const pipe = redis.pipeline();
          for (const [h, json] of missing) pipe.set(keys.service(h), json);
          const results = await pipe.exec();
          const failed = results?.find(([e]) => e !== null);
          if (failed) throw failed[0];
          for (const [h] of missing) written.add(h);
        }
        const m = input.manifest;
        await loadRefs();
        const trimmed = (await redis.zkedgePublish(keys.snapshot(m.version), keys.current, keys.history, keys.epoch, m.version, JSON.stringify(m), input.epoch, input.makeCurrent ? '1' : '0', options.keepVersions, options.prefix, keys.events)).map(Number);
        refs.add(m.version, Object.values(m.services));
        await collect(trimmed);
        return ok({ trimmed });
      } catch (e) {
        return fail(`publishing version ${input.manifest.version} to Redis`, e);
      }
    },
    async readSnapshot(version) {
      try {
        const text = await redis.get(keys.snapshot(version));
        if (text === null) return ok(undefined);
        const manifest = await verifyManifest(text, keys.snapshot(version));
        if (!manifest.ok) return manifest;
        const hashes = [...new Set(Object.values(manifest.value.services))];
        const texts = hashes.length === 0 ? [] : await redis.mget(...hashes.map(keys.service));
        const documents = new Map<string, ServiceDocument>();
        for (const [i, hash] of hashes.entries()) {
          const docText = texts[i];
          if (docText === null || docText === undefined) return err(new ZkedgeError('not_found', `${keys.service(hash)} is missing (referenced by version ${version})`));
          const doc = await verifyServiceDocument(docText, hash, keys.service(hash));
          if (!doc.ok) return doc;
          documents.set(hash, doc.value);
        }
        return ok({ manifest: manifest.value, documents });
      } catch (e) {
        return fail(`reading version ${version} from Redis`, e);
      }
    },
    async setCurrent(version, epoch) {
      try {
        await redis.zkedgeSetCurrent(keys.current, keys.epoch, keys.snapshot(version), version, epoch, keys.events);
        return ok(undefined);
      } catch (e) {
        return fail(`moving current to version ${version}`, e);
      }
    },
    async isIntact(version) {
      try {
        const [current, exists] = await Promise.all([redis.get(keys.current), redis.exists(keys.snapshot(version))]);
        return ok(current !== null && exists === 1);
      } catch (e) {
        return fail('checking the Redis store', e);
      }
    },
    forgetWritten: () => {
      written.clear();
      refs.clear();
      refsLoaded = false;
    },
    async close() {
      redis.disconnect();
    },
  };
}
