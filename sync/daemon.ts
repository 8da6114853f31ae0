// The sync daemon: watched tree → snapshot → guard → publish, leading-edge coalesced, only from a
// complete tree, only while leader; obeys pins and guard releases written under /control.
import { EventEmitter } from 'node:events';
import type { Logger } from '../shared/log.ts';
import type { Manifest, ServiceDocument } from '../shared/schema/snapshot.ts';
import { assembleContent, builtService, createSnapshotBuilder, type BuiltService, type SnapshotContent } from './build/build-snapshot.ts';
import { createCoalescer } from './build/coalescer.ts';
import type { Report } from './build/node-validator.ts';
import { createRemovalGuard, type Hold } from './build/removal-guard.ts';
import type { SyncMetrics } from './metrics.ts';
import type { SnapshotStore } from './publish/snapshot-store.ts';
import { createMirrorSync } from './publish/mirror-sync.ts';
import { createControlWatch } from './zookeeper/control-watch.ts';
import { createLeaderLatch } from './zookeeper/leader-latch.ts';
import { createTreeCache } from './zookeeper/tree-cache.ts';
import { createTreePaths } from './zookeeper/tree-paths.ts';
import { createVersionCounter } from './zookeeper/version-counter.ts';
import type { ZkClient } from './zookeeper/zk-client.ts';
import { parsePin } from './pin.ts';
import { withBucketTables } from './build/route-buckets.ts';
import { checkCapacity, type CapacityStatus } from './build/capacity-check.ts';

export type DaemonEvents = { published: [Manifest]; report: [Report]; failed: [Error]; held: [Hold[]]; current: [number]; leader: [boolean] };

export type SyncDaemonOptions = {
  zk: ZkClient;
  store: SnapshotStore;
  /** Stores that follow `store` (Workers KV through the Worker): pushed after it, never holding it up. */
  mirrors?: SnapshotStore[];
  root: string;
  log: Logger;
  metrics: SyncMetrics;
  /** At most one publish per this many ms inside a burst (DESIGN.md: 50 ms). */
  minIntervalMs: number;
  /** How long a mass removal is held back (DESIGN.md: 30 s). */
  holdDownMs?: number;
  /** How often the leader checks that the store still holds `current` (Redis restarted empty?). */
  watchdogMs?: number;
  now?: () => number;
  /** Requests/s the plane is expected to carry: each publish is checked against capacityRps. */
  expectedRps?: number;
};

export type DaemonStatus = {
  zookeeper: string;
  leader: boolean;
  epoch: number | null;
  treeComplete: boolean;
  publishedVersion: number;
  publishedHash: string | null;
  pinned: number | null;
  held: Hold[];
  /** With --expected-rps: instances the last published snapshot puts over capacity. */
  capacity: CapacityStatus | null;
};

export type SyncDaemon = {
  readonly events: EventEmitter<DaemonEvents>;
  /** Starts watching, electing and publishing; throws when called twice. */
  start(): Promise<void>;
  status(): DaemonStatus;
  /** Gives up leadership and stops. Idempotent; does not close the injected client or store. */
  stop(): Promise<void>;
};

type Published = { manifest: Manifest; content: SnapshotContent; docs: Map<string, ServiceDocument> };

export function createSyncDaemon(options: SyncDaemonOptions): SyncDaemon {
  const { zk, store, log, metrics } = options;
  const now = options.now ?? Date.now;
  const events = new EventEmitter<DaemonEvents>();
  const paths = createTreePaths(options.root);
  const tree = createTreeCache(zk, options.root);
  const counter = createVersionCounter(zk, paths.version);
  const latch = createLeaderLatch(zk, paths.leader, log);
  const guard = createRemovalGuard({ holdDownMs: options.holdDownMs ?? 30_000, now });
  const report = (r: Report) => {
    if (r.severity === 'error') metrics.invalidNodes.inc();
    log[r.severity === 'error' ? 'error' : 'warn']({ path: r.path }, r.reason);
    events.emit('report', r);
  };
  const builder = createSnapshotBuilder(report);
  let highest = 0;
  let last: Published | undefined;
  let storeKnown = false;
  let storeHighestHash: string | undefined;
  let appliedCurrent: number | undefined;
  let pinned: number | undefined;
  let guardStatusText = '';
  let capacity: CapacityStatus | undefined;
  let started = false;
  let stopped = false;
  let failures = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const mirrors = createMirrorSync(options.mirrors ?? [], { log, metrics, epoch: () => latch.epoch(), after: (ms, fn) => after(ms, fn) });

  const after = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  /** Schedules another pass with backoff; returns false (nothing was published) for `return retryLater()`. */
  const retryLater = (): false => {
    failures++;
    if (!stopped) after(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)), () => coalescer.trigger());
    return false;
  };

  /** Reads what the store holds: the highest version and its documents (the guard's baseline). */
  const loadStoreState = async (): Promise<boolean> => {
    const state = await store.readState();
    if (!state.ok) {
      log.warn({ err: state.error.message }, 'store not readable; retrying');
      return false;
    }
    highest = Math.max(highest, state.value.highest);
    storeHighestHash = state.value.highestHash;
    appliedCurrent = state.value.current;
    if (state.value.highest > 0 && state.value.highest !== last?.manifest.version) {
      const snap = await store.readSnapshot(state.value.highest);
      if (snap.ok && snap.value !== undefined) {
        const docs = new Map<string, ServiceDocument>();
        const services = new Map<string, BuiltService>();
        for (const [name, hash] of Object.entries(snap.value.manifest.services)) {
          const doc = snap.value.documents.get(hash)!;
          docs.set(name, doc);
          services.set(name, await builtService(doc));
        }
        last = { manifest: snap.value.manifest, docs, content: await assembleContent(services, snap.value.manifest.routes, snap.value.manifest.config) };
      } else if (!snap.ok) log.warn({ err: snap.error.message }, 'could not read the highest stored version; the guard starts without a baseline');
    }
    if (last !== undefined) mirrors.push({ manifest: last.manifest, documents: last.content.documents, makeCurrent: false }); // a mirror may lack it
    storeKnown = true;
    return true;
  };

  const writeGuardStatus = async (holds: Hold[]) => {
    const text = JSON.stringify({ epoch: latch.epoch() ?? null, held: holds });
    if (text === guardStatusText) return;
    guardStatusText = text;
    metrics.heldServices.set(holds.length);
    events.emit('held', holds);
    if (holds.length > 0) log.warn({ held: holds }, 'mass removal held back by the guard');
    await zk.mkdirp(paths.control).catch(() => {});
    await zk.setData(paths.guard, text).catch(() => zk.create(paths.guard, text).catch(() => {}));
  };

  const build = async (): Promise<{ content: SnapshotContent; docs: Map<string, ServiceDocument> }> => {
    const built = await builder.build(tree.state);
    const candidates = new Map([...built.services].map(([n, b]) => [n, b.doc]));
    const guarded = guard.apply(candidates, last?.docs ?? new Map());
    for (const name of guarded.changed) built.services.set(name, await builtService(guarded.docs.get(name)!));
    const deadline = guard.nextDeadline();
    if (deadline !== undefined) after(Math.max(0, deadline - now()) + 5, () => coalescer.trigger());
    await writeGuardStatus(guard.holds());
    const routes = withBucketTables(built.routes, last?.manifest.routes);
    return { content: await assembleContent(built.services, routes, built.config), docs: guarded.docs };
  };

  const publish = async (content: SnapshotContent, docs: Map<string, ServiceDocument>, epoch: number): Promise<boolean> => {
    const started = performance.now();
    const version = await counter.next(highest);
    const manifest: Manifest = {
      schema: content.body.schema,
      version,
      hash: content.hash,
      createdAt: new Date(now()).toISOString(),
      source: { zxid: `0x${tree.state.zxid.toString(16)}` },
      services: content.body.services,
      routes: content.body.routes,
      config: content.body.config,
    };
    const result = await store.publish({ manifest, documents: content.documents, epoch, makeCurrent: pinned === undefined });
    if (!result.ok) {
      metrics.publishFailures.inc({ store: 'redis', code: result.error.code });
      log.error({ version, err: result.error.message }, 'publish failed');
      events.emit('failed', result.error);
      storeKnown = false; // fenced or unreachable: read the store again before the next try
      return false;
    }
    highest = version;
    last = { manifest, content, docs };
    mirrors.push({ manifest, documents: content.documents, makeCurrent: pinned === undefined });
    if (pinned === undefined) appliedCurrent = version;
    metrics.publishes.inc({ store: 'redis' });
    metrics.currentVersion.set(version);
    metrics.publishSeconds.observe((performance.now() - started) / 1000);
    log.info({ version, hash: content.hash, services: Object.keys(manifest.services).length, zxid: manifest.source.zxid, pending: pinned !== undefined }, 'published');
    if (options.expectedRps !== undefined) {
      capacity = checkCapacity(manifest, docs, options.expectedRps);
      metrics.overCapacity.set(capacity.overCapacity.length);
      if (capacity.overCapacity.length > 0) log.warn({ version, expectedRps: options.expectedRps, overCapacity: capacity.overCapacity }, 'published snapshot puts instances over capacity');
    }
    events.emit('published', manifest);
    return true;
  };

  /** Points `current` at the pin, or at the newest version when unpinned. */
  const syncCurrent = async (epoch: number): Promise<boolean> => {
    const desired = pinned ?? (highest > 0 ? highest : undefined);
    if (desired === undefined || desired === appliedCurrent) return true;
    const r = await store.setCurrent(desired, epoch);
    if (!r.ok) {
      log.error({ version: desired, err: r.error.message }, 'could not move current');
      if (r.error.code === 'not_found') appliedCurrent = desired; // nothing to retry: the version is gone
      return r.error.code === 'not_found';
    }
    appliedCurrent = desired;
    log.info({ version: desired, pinned: pinned !== undefined }, 'current moved');
    events.emit('current', desired);
    return true;
  };

  /** One pass: build from the complete tree, publish when the content changed, sync `current`. True when it published. */
  const cycle = async (): Promise<boolean> => {
    const epoch = latch.epoch();
    if (stopped || epoch === undefined || !tree.isComplete()) return false; // never from a partial copy, never as follower
    try {
      if (!storeKnown && !(await loadStoreState())) return retryLater();
      const { content, docs } = await build();
      // Without a readable baseline, the store's highest root hash still says whether content changed.
      const changed = content.hash !== (last?.content.hash ?? storeHighestHash);
      if (changed && !(await publish(content, docs, epoch))) return retryLater();
      if (!(await syncCurrent(epoch))) return retryLater() || changed;
      if (appliedCurrent !== undefined) mirrors.follow(appliedCurrent);
      failures = 0;
      return changed;
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'sync cycle failed; retrying');
      return retryLater();
    }
  };

  const coalescer = createCoalescer(cycle, options.minIntervalMs);

  /** Redis restarted empty or was flushed: write the last published snapshot back. */
  const watchdog = async () => {
    if (stopped) return;
    const epoch = latch.epoch();
    if (epoch !== undefined && last !== undefined && storeKnown) {
      const intact = await store.isIntact(last.manifest.version);
      // Only `current` lost (evicted, deleted by hand) while the manifest is there: point it again.
      const desired = pinned ?? last.manifest.version;
      if (intact.ok && !intact.value && (await store.setCurrent(desired, epoch)).ok) {
        log.warn({ version: desired }, 'store lost current; restored it');
        appliedCurrent = desired;
      } else if (intact.ok && !intact.value) {
        log.warn({ version: last.manifest.version }, 'store lost the current snapshot; republishing it');
        store.forgetWritten();
        const r = await store.publish({ manifest: last.manifest, documents: last.content.documents, epoch, makeCurrent: pinned === undefined });
        if (r.ok) {
          appliedCurrent = pinned === undefined ? last.manifest.version : undefined;
          coalescer.trigger();
        } else log.warn({ err: r.error.message }, 'republish failed; retrying');
      }
    }
    after(options.watchdogMs ?? 1_000, () => void watchdog());
  };

  const control = createControlWatch(zk, [paths.pin, paths.guardRelease], (path, data) => {
    if (path === paths.pin) {
      const pin = parsePin(data);
      if (!pin.ok) {
        report({ path, reason: `${pin.error.message}; pin ignored`, severity: 'error' });
        return;
      }
      pinned = pin.value;
      log.info({ pinned: pinned ?? null }, pinned === undefined ? 'unpinned' : 'pinned');
    } else if (data !== null && latch.isLeader()) {
      guard.release();
      log.warn({}, 'guard released by operator');
      void zk.remove(paths.guardRelease).catch(() => {});
    }
    coalescer.trigger();
  });

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
      latch.events.on('elected', () => {
        guard.reset(); // a new leader starts its own hold-down
        storeKnown = false;
        store.forgetWritten(); // another leader may have trimmed documents meanwhile: write and count afresh
        guardStatusText = '';
        metrics.leader.set(1);
        events.emit('leader', true);
        coalescer.trigger();
      });
      latch.events.on('deposed', () => {
        metrics.leader.set(0);
        events.emit('leader', false);
      });
      tree.events.on('report', (r) => report({ ...r, severity: 'error' }));
      tree.events.on('updated', () => coalescer.trigger());
      tree.events.on('complete', () => coalescer.trigger());
      tree.start();
      control.start();
      latch.start();
      after(options.watchdogMs ?? 1_000, () => void watchdog());
    },
    status: () => ({
      zookeeper: zk.state,
      leader: latch.isLeader(),
      epoch: latch.epoch() ?? null,
      treeComplete: tree.isComplete(),
      publishedVersion: highest,
      publishedHash: last?.content.hash ?? null,
      pinned: pinned ?? null,
      held: guard.holds(),
      capacity: capacity ?? null,
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      coalescer.stop();
      await coalescer.idle();
      await mirrors.stop();
      await latch.close();
    },
  };
}
