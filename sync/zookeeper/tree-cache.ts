// A watched copy of the zkedge tree: every dir's child list and every node's data, kept current by
// ZooKeeper watches (client-wide events, de-duplicated by the server; see PLATFORM.md).
//
// IMPORTANT: the copy is trusted only when `isComplete()`: connected, the full read of the current
// session done, and no read in flight. Every watch fires at most once, so each event re-reads (and
// re-arms) the path; a change during a read fires the re-armed watch again, so reads repeat until
// the lists are stable.
import { EventEmitter } from 'node:events';
import { isValidName } from '../../shared/schema/names.ts';
import { classifyPath, createTreePaths, type TreePaths } from './tree-paths.ts';
import type { ZkClient } from './zk-client.ts';

export type NodeValue = { path: string; data: string };
export type ServiceEntry = { name: string; node: NodeValue | undefined; instances: Map<string, NodeValue>; gen: number };
export type TreeState = {
  services: Map<string, ServiceEntry>;
  routes: Map<string, NodeValue>;
  config: Map<string, NodeValue>;
  /** Highest zxid seen in any read: the snapshot's `source.zxid`. */
  zxid: number;
};

export type TreeReport = { path: string; reason: string };

export type TreeCacheEvents = { updated: []; complete: []; report: [TreeReport] };

export type TreeCache = {
  readonly state: TreeState;
  readonly events: EventEmitter<TreeCacheEvents>;
  isComplete(): boolean;
  /** Starts watching; throws when called twice. */
  start(): void;
};

type DirKind = 'servicesDir' | 'routesDir' | 'configDir' | 'instancesDir';

export function createTreeCache(zk: ZkClient, root: string): TreeCache {
  const paths: TreePaths = createTreePaths(root);
  const events = new EventEmitter<TreeCacheEvents>();
  const state: TreeState = { services: new Map(), routes: new Map(), config: new Map(), zxid: 0 };
  let session = 0; // reads of an older session are ignored: their callbacks may never arrive
  let inflight = 0;
  let sessionReadDone = false;
  let started = false;
  const reportedNames = new Set<string>();

  const isConnected = () => zk.state === 'connected' || zk.state === 'reconnected';
  const isComplete = () => isConnected() && sessionReadDone && inflight === 0;
  const changed = () => events.emit('updated');

  const track = async (work: () => Promise<void>) => {
    const mine = session;
    inflight++;
    try {
      await work();
    } catch (e) {
      // Connection loss: the reconnect that must follow triggers a full re-read of the session.
      if (mine === session) events.emit('report', { path: paths.root, reason: `read failed, will re-read on reconnect: ${(e as Error).message}` });
    } finally {
      if (mine === session) {
        inflight--;
        if (isComplete()) events.emit('complete');
      }
    }
  };

  const checkName = (dir: string, name: string): boolean => {
    if (isValidName(name)) return true;
    const path = `${dir}/${name}`;
    if (!reportedNames.has(path)) {
      reportedNames.add(path);
      events.emit('report', { path, reason: 'node name skipped: expected 1-128 characters of A-Z a-z 0-9 . _ -' });
    }
    return false;
  };

  const listOf = (kind: DirKind, service?: string): Map<string, unknown> => {
    if (kind === 'servicesDir') return state.services;
    if (kind === 'routesDir') return state.routes;
    if (kind === 'configDir') return state.config;
    return state.services.get(service as string)?.instances ?? new Map();
  };

  const readDir = (path: string, kind: DirKind, service: string | undefined, resync: boolean) =>
    track(async () => {
      const mine = session;
      const res = await zk.getChildren(path, true);
      if (mine !== session) return;
      let names: string[];
      if (res === null) {
        // Arm a `created` watch; if it appeared meanwhile, read it again.
        if ((await zk.exists(path, true)) !== null) return void readDir(path, kind, service, resync);
        names = [];
      } else {
        names = res.children.filter((n) => checkName(path, n));
        state.zxid = Math.max(state.zxid, res.stat.pzxid);
      }
      const list = listOf(kind, service);
      if (kind === 'instancesDir' && !state.services.has(service as string)) return;
      let removed = false;
      for (const known of [...list.keys()]) {
        if (!names.includes(known)) {
          list.delete(known);
          removed = true;
        }
      }
      if (removed && kind === 'instancesDir') state.services.get(service as string)!.gen++;
      for (const name of names) {
        const isNew = !list.has(name);
        if (!isNew && !resync) continue;
        if (kind === 'servicesDir') {
          if (isNew) state.services.set(name, { name, node: undefined, instances: new Map(), gen: 0 });
          void readData(paths.service(name));
          void readDir(paths.instances(name), 'instancesDir', name, resync);
        } else if (kind === 'routesDir') void readData(paths.route(name));
        else if (kind === 'configDir') void readData(paths.configKey(name));
        else void readData(paths.instance(service as string, name));
      }
      if (removed) changed();
    });

  const readData = (path: string) =>
    track(async () => {
      const where = classifyPath(paths, path);
      if (where === undefined || !('service' in where || 'name' in where || 'key' in where)) return;
      const mine = session;
      const res = await zk.getData(path, true);
      if (mine !== session) return;
      if (res !== null) state.zxid = Math.max(state.zxid, res.stat.mzxid);
      const value = res === null ? undefined : { path, data: res.data };
      if (where.kind === 'service') {
        const entry = state.services.get(where.service);
        if (entry === undefined || value === undefined || entry.node?.data === value.data) return;
        entry.node = value;
        entry.gen++;
      } else if (where.kind === 'instance') {
        const entry = state.services.get(where.service);
        if (entry === undefined) return;
        if (value === undefined) {
          if (!entry.instances.delete(where.id)) return;
        } else {
          if (entry.instances.get(where.id)?.data === value.data) return;
          entry.instances.set(where.id, value);
        }
        entry.gen++;
      } else if (where.kind === 'route' || where.kind === 'configKey') {
        const map = where.kind === 'route' ? state.routes : state.config;
        const name = where.kind === 'route' ? where.name : where.key;
        if (value === undefined) {
          if (!map.delete(name)) return;
        } else {
          if (map.get(name)?.data === value.data) return;
          map.set(name, value);
        }
      } else return;
      changed();
    });

  const fullRead = () => {
    session++;
    inflight = 0;
    sessionReadDone = false;
    void readDir(paths.services, 'servicesDir', undefined, true);
    void readDir(paths.routes, 'routesDir', undefined, true);
    void readDir(paths.config, 'configDir', undefined, true);
    sessionReadDone = true; // the three reads are in flight: complete once they and their cascades land
  };

  const onPathEvent = (path: string) => {
    const where = classifyPath(paths, path);
    if (where === undefined) return;
    switch (where.kind) {
      case 'servicesDir':
        return void readDir(path, 'servicesDir', undefined, false);
      case 'routesDir':
        return void readDir(path, 'routesDir', undefined, false);
      case 'configDir':
        return void readDir(path, 'configDir', undefined, false);
      case 'instancesDir':
        return void readDir(path, 'instancesDir', where.service, false);
      default:
        return void readData(path);
    }
  };

  return {
    state,
    events,
    isComplete,
    start() {
      if (started) throw new Error('tree cache already started');
      started = true;
      zk.events.on('state', (s) => {
        switch (s) {
          case 'connected': // a new session: every watch is gone
          case 'reconnected': // same session, but reads that failed while suspended must be redone
            return fullRead();
          case 'suspended':
            return events.emit('updated');
          case 'lost':
            session++;
            inflight = 0;
            sessionReadDone = false;
            return;
        }
      });
      for (const ev of ['changed', 'child', 'created', 'deleted'] as const) zk.events.on(ev, onPathEvent);
      if (zk.state === 'connected' || zk.state === 'reconnected') fullRead();
    },
  };
}
