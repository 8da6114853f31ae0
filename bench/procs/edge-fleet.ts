// The Node edge's snapshot cache (eager, as startNodeEdge runs it) over the Redis source, without
// push: the bench tells it when to refresh, so each change is timed alone. Run with --expose-gc.
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../../shared/log.ts';
import { createSnapshotCache } from '../../edge/core/snapshot-cache.ts';
import type { SnapshotSource } from '../../edge/core/snapshot-source.ts';
import { createRedisSource } from '../../edge/sources/redis-source.ts';
import { arg, serveParent } from './ipc.ts';

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  gc?.();
  return process.memoryUsage();
};
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const redis = createRedisSource({ url: arg('redis'), prefix: arg('prefix') });
let ioMs = 0;
const timed =
  <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
  async (...a: A): Promise<R> => {
    const t = performance.now();
    try {
      return await f(...a);
    } finally {
      ioMs += performance.now() - t;
    }
  };
const source: SnapshotSource = { currentVersion: timed(redis.currentVersion), manifest: timed(redis.manifest), documents: timed(redis.documents) };
await redis.currentVersion(); // connected before the baseline
const empty = heap();
const cache = createSnapshotCache({ source, mode: 'eager', log: silentLogger });

/** One refresh, timed: wall, this process's CPU, and the part spent waiting on Redis. */
async function refresh() {
  ioMs = 0;
  const c0 = cpu();
  const t0 = performance.now();
  const r = await cache.refresh();
  const wallMs = performance.now() - t0;
  if (!r.ok) throw r.error;
  return { wallMs, cpuMs: cpu() - c0, ioMs, version: r.value.version ?? null, changed: r.value.changed };
}

serveParent({ gc: gc !== undefined }, {
  load: async () => {
    const r = await refresh();
    const loaded = heap();
    return { ...r, heapEmptyBytes: empty.heapUsed, heapLoadedBytes: loaded.heapUsed, rssBytes: loaded.rss, externalBytes: loaded.external };
  },
  apply: refresh,
}, () => redis.close());
