// Per-test isolation on the shared servers: a fresh ZooKeeper root and Redis key prefix.
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { inject, onTestFinished } from 'vitest';
import { nextEvent } from '../../dev/wait.ts';
export { nextEvent };
import { silentLogger, type Logger } from '../../shared/log.ts';
import type { Manifest } from '../../shared/schema/snapshot.ts';
import type { Report } from '../../sync/build/node-validator.ts';
import { createSyncDaemon, type SyncDaemon } from '../../sync/daemon.ts';
import { createSyncMetrics } from '../../sync/metrics.ts';
import { createRedisStore } from '../../sync/publish/redis-store.ts';
import { createTreePaths } from '../../sync/zookeeper/tree-paths.ts';
import { createZkClient, ZkOpError, ZK, type ZkClient } from '../../sync/zookeeper/zk-client.ts';


export type TestEnv = Awaited<ReturnType<typeof createTestEnv>>;

/** A root and prefix of its own, a ZooKeeper client and a Redis client; all closed when the test ends. */
export async function createTestEnv(options: { zkConnect?: string } = {}) {
  const id = randomBytes(5).toString('hex');
  const root = `/t-${id}`;
  const prefix = `t${id}:`;
  const zkConnect = options.zkConnect ?? inject('zkConnect');
  const redisUrl = inject('redisUrl');
  const zk = createZkClient({ connect: zkConnect, sessionTimeoutMs: 10_000 });
  await zk.ready();
  const redis = new Redis(redisUrl);
  const paths = createTreePaths(root);
  const closers: Array<() => Promise<void>> = [];
  onTestFinished(async () => {
    for (const close of closers.reverse()) await close();
    await zk.close();
    redis.disconnect();
  });

  /** Creates or overwrites a persistent node (parents included). */
  const write = async (path: string, data: unknown) => {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    try {
      await zk.setData(path, text);
    } catch (e) {
      if (!(e instanceof ZkOpError && e.rc === ZK.ZNONODE)) throw e;
      await zk.mkdirp(path.slice(0, path.lastIndexOf('/')));
      await zk.create(path, text);
    }
  };

  const startDaemon = async (opts: { minIntervalMs?: number; holdDownMs?: number; zkConnect?: string; redisUrl?: string; sessionTimeoutMs?: number; keepVersions?: number; expectedRps?: number; log?: Logger } = {}) => {
    const store = createRedisStore({ url: opts.redisUrl ?? redisUrl, prefix, keepVersions: opts.keepVersions ?? 100 });
    const daemonZk = createZkClient({ connect: opts.zkConnect ?? zkConnect, sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000 });
    await daemonZk.ready();
    const daemon: SyncDaemon = createSyncDaemon({
      zk: daemonZk,
      store,
      root,
      log: opts.log ?? silentLogger,
      metrics: createSyncMetrics(),
      minIntervalMs: opts.minIntervalMs ?? 50,
      holdDownMs: opts.holdDownMs ?? 30_000,
      watchdogMs: 200,
      ...(opts.expectedRps !== undefined ? { expectedRps: opts.expectedRps } : {}),
    });
    const published: Manifest[] = [];
    const reports: Report[] = [];
    daemon.events.on('published', (m) => published.push(m));
    daemon.events.on('report', (r) => reports.push(r));
    closers.push(async () => {
      await daemon.stop();
      await daemonZk.close();
      await store.close();
    });
    await daemon.start();
    /** The first published manifest (seen already or to come) that satisfies `match`. */
    const waitPublished = (match: (m: Manifest) => boolean = () => true, timeoutMs = 10_000) => {
      const seen = published.find(match);
      return seen ? Promise.resolve(seen) : nextEvent<Manifest>(daemon.events, 'published', match, timeoutMs);
    };
    const waitReport = (match: (r: Report) => boolean, timeoutMs = 10_000) => {
      const seen = reports.find(match);
      return seen ? Promise.resolve(seen) : nextEvent<Report>(daemon.events, 'report', match, timeoutMs);
    };
    return { daemon, store, zk: daemonZk, published, reports, waitPublished, waitReport };
  };

  const manifestOf = async (version: number): Promise<Manifest> => JSON.parse((await redis.get(`${prefix}snapshot:${version}`)) ?? 'null');
  const documentOf = async (hash: string) => JSON.parse((await redis.get(`${prefix}service:${hash}`)) ?? 'null');

  return { id, root, prefix, paths, zk, redis, redisUrl, zkConnect, write, startDaemon, manifestOf, documentOf, onClose: (f: () => Promise<void>) => closers.push(f) };
}
