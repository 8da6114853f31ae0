// The sync daemon in the bench's process, wired as test/helpers/env.ts wires it (real ZooKeeper
// client, Redis store, metrics, silent logger), with hooks that timestamp what it does.
import { nextEvent } from '../dev/wait.ts';
export { nextEvent };
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../shared/log.ts';
import type { Manifest } from '../shared/schema/snapshot.ts';
import { createSyncDaemon, type SyncDaemon } from '../sync/daemon.ts';
import { createSyncMetrics } from '../sync/metrics.ts';
import { createRedisStore } from '../sync/publish/redis-store.ts';
import type { SnapshotStore } from '../sync/publish/snapshot-store.ts';
import { createZkClient, type ZkClient } from '../sync/zookeeper/zk-client.ts';
import type { Resources } from './resources.ts';

export type PublishCall = { at: number; version: number; documents: number };
export type Published = { at: number; manifest: Manifest };

export type BenchDaemon = {
  daemon: SyncDaemon;
  /** The daemon's own ZooKeeper client: its `changed`/`child` events are when the daemon hears of a change. */
  zk: ZkClient;
  /** Every store.publish call (performance.now() at the call) and every `published` event. */
  calls: PublishCall[];
  published: Published[];
  events: EventEmitter<{ published: [Published] }>;
  /** Resolves with the first published manifest (seen already or to come) that satisfies `match`. */
  waitPublished(match: (p: Published) => boolean, timeoutMs: number, what: string): Promise<Published>;
  stop(): Promise<void>;
};

/** Wraps a store so each publish call is timestamped when the daemon makes it. */
function timedStore(store: SnapshotStore, calls: PublishCall[]): SnapshotStore {
  return {
    ...store,
    publish(input) {
      calls.push({ at: performance.now(), version: input.manifest.version, documents: input.documents.size });
      return store.publish(input);
    },
  };
}

export async function startBenchDaemon(resources: Resources, o: { zkConnect: string; redisUrl: string; root: string; prefix: string; minIntervalMs?: number; watchdogMs?: number }): Promise<BenchDaemon> {
  const store = createRedisStore({ url: o.redisUrl, prefix: o.prefix, keepVersions: 100 });
  const zk = createZkClient({ connect: o.zkConnect, sessionTimeoutMs: 10_000 });
  const calls: PublishCall[] = [];
  const published: Published[] = [];
  const events = new EventEmitter<{ published: [Published] }>();
  const daemon = createSyncDaemon({
    zk,
    store: timedStore(store, calls),
    root: o.root,
    log: silentLogger,
    metrics: createSyncMetrics(),
    minIntervalMs: o.minIntervalMs ?? 50,
    holdDownMs: 30_000,
    watchdogMs: o.watchdogMs ?? 1_000,
  });
  daemon.events.on('published', (manifest) => {
    const p = { at: performance.now(), manifest };
    published.push(p);
    events.emit('published', p);
  });
  const stop = resources.add(`sync daemon ${o.root}`, async () => {
    await daemon.stop();
    await zk.close();
    await store.close();
  });
  await zk.ready();
  await daemon.start();
  const waitPublished = (match: (p: Published) => boolean, timeoutMs: number, what: string) =>
    new Promise<Published>((resolve, reject) => {
      const seen = published.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => {
        events.off('published', on);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for the daemon to publish ${what}`));
      }, timeoutMs);
      const on = (p: Published) => {
        if (!match(p)) return;
        clearTimeout(timer);
        events.off('published', on);
        resolve(p);
      };
      events.on('published', on);
    });
  return { daemon, zk, calls, published, events, waitPublished, stop };
}
