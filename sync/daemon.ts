// The sync daemon: watched tree → snapshot → publish, leading-edge coalesced, only from a complete tree.
import { EventEmitter } from 'node:events';
import type { Logger } from '../shared/log.ts';
import type { Manifest } from '../shared/schema/snapshot.ts';
import { createSnapshotBuilder } from './build/build-snapshot.ts';
import { createCoalescer } from './build/coalescer.ts';
import type { Report } from './build/node-validator.ts';
import type { SyncMetrics } from './metrics.ts';
import type { SnapshotStore } from './publish/snapshot-store.ts';
import { createTreeCache } from './zookeeper/tree-cache.ts';
import { createTreePaths } from './zookeeper/tree-paths.ts';
import { createVersionCounter } from './zookeeper/version-counter.ts';
import type { ZkClient } from './zookeeper/zk-client.ts';

export type DaemonEvents = { published: [Manifest]; report: [Report]; failed: [Error] };

export type SyncDaemonOptions = {
  zk: ZkClient;
  store: SnapshotStore;
  root: string;
  log: Logger;
  metrics: SyncMetrics;
  /** At most one publish per this many ms inside a burst (DESIGN.md: 50 ms). */
  minIntervalMs: number;
  now?: () => Date;
};

export type SyncDaemon = {
  readonly events: EventEmitter<DaemonEvents>;
  /** Starts watching and publishing; throws when called twice. */
  start(): Promise<void>;
  status(): { zookeeper: string; treeComplete: boolean; publishedVersion: number; publishedHash: string | undefined };
  /** Idempotent; does not close the injected ZooKeeper client or store. */
  stop(): Promise<void>;
};

const RETRY_MS = 500;

export function createSyncDaemon(options: SyncDaemonOptions): SyncDaemon {
  const { zk, store, log, metrics } = options;
  const events = new EventEmitter<DaemonEvents>();
  const paths = createTreePaths(options.root);
  const tree = createTreeCache(zk, options.root);
  const counter = createVersionCounter(zk, paths.version);
  const report = (r: Report) => {
    if (r.severity === 'error') metrics.invalidNodes.inc();
    log[r.severity === 'error' ? 'error' : 'warn']({ path: r.path }, r.reason);
    events.emit('report', r);
  };
  const builder = createSnapshotBuilder(report);
  let highest = 0;
  let publishedHash: string | undefined;
  let storeKnown = false;
  let started = false;
  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const retryLater = () => {
    if (stopped || retryTimer !== undefined) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      coalescer.trigger();
    }, RETRY_MS);
  };

  const cycle = async () => {
    if (stopped || !tree.isComplete()) return; // never publish from a partial or disconnected copy
    if (!storeKnown) {
      const state = await store.readState();
      if (!state.ok) {
        log.warn({ err: state.error.message }, 'store not readable; retrying');
        return retryLater();
      }
      highest = state.value.highest;
      publishedHash = state.value.highestHash;
      storeKnown = true;
    }
    const started = performance.now();
    const content = await builder.build(tree.state);
    if (content.hash === publishedHash) return;
    let version: number;
    try {
      version = await counter.next(highest);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'could not reserve a version; retrying');
      return retryLater();
    }
    const manifest: Manifest = {
      schema: content.body.schema,
      version,
      hash: content.hash,
      createdAt: (options.now?.() ?? new Date()).toISOString(),
      source: { zxid: `0x${tree.state.zxid.toString(16)}` },
      services: content.body.services,
      routes: content.body.routes,
      config: content.body.config,
    };
    const result = await store.publish({ manifest, documents: content.documents, epoch: 0, makeCurrent: true });
    if (!result.ok) {
      metrics.publishFailures.inc({ store: 'redis', code: result.error.code });
      log.error({ version, err: result.error.message }, 'publish failed');
      events.emit('failed', result.error);
      if (result.error.code === 'fenced') storeKnown = false; // someone published past us: re-read
      return retryLater();
    }
    highest = version;
    publishedHash = content.hash;
    metrics.publishes.inc({ store: 'redis' });
    metrics.currentVersion.set(version);
    metrics.publishSeconds.observe((performance.now() - started) / 1000);
    log.info({ version, hash: content.hash, services: Object.keys(manifest.services).length, zxid: manifest.source.zxid }, 'published');
    events.emit('published', manifest);
  };

  const coalescer = createCoalescer(cycle, options.minIntervalMs);

  return {
    events,
    async start() {
      if (started) throw new Error('sync daemon already started');
      started = true;
      zk.events.on('state', (s) => {
        metrics.zkConnected.set(s === 'connected' || s === 'reconnected' ? 1 : 0);
        log.info({ state: s }, 'zookeeper connection state');
      });
      metrics.zkConnected.set(zk.state === 'connected' ? 1 : 0);
      tree.events.on('report', (r) => report({ ...r, severity: 'error' }));
      tree.events.on('updated', () => coalescer.trigger());
      tree.events.on('complete', () => coalescer.trigger());
      tree.start();
    },
    status: () => ({ zookeeper: zk.state, treeComplete: tree.isComplete(), publishedVersion: highest, publishedHash }),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      coalescer.stop();
      await coalescer.idle();
    },
  };
}
