// Synthetic fleets: N services × M instances (one route each), as ZooKeeper nodes or as the
// daemon's in-memory TreeState, and concurrent creates from one ZooKeeper client.
import { performance } from 'node:perf_hooks';
import type { TreeState } from '../sync/zookeeper/tree-cache.ts';
import { createTreePaths, type TreePaths } from '../sync/zookeeper/tree-paths.ts';
import { ZK, ZkOpError, type ZkClient } from '../sync/zookeeper/zk-client.ts';

export type FleetShape = { services: number; instancesPerService: number };
export type NodeSpec = { path: string; data: string; ephemeral?: boolean };

export const serviceName = (s: number) => `svc-${String(s).padStart(4, '0')}`;
export const instanceId = (i: number) => `i-${String(i).padStart(3, '0')}`;

/** Instance JSON as a backend registers it: a distinct 10.x.y.z address, weight 100, a zone. */
export function instanceData(s: number, i: number, perService: number): string {
  const k = s * perService + i;
  return JSON.stringify({ url: `http://10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}:8080`, weight: 100, zone: `zone-${'abc'[k % 3]}` });
}

export const routeData = (s: number) => JSON.stringify({ host: `${serviceName(s)}.bench.local`, service: serviceName(s) });

/** The fleet's nodes in creation layers: each layer's parents are in an earlier layer. */
export function fleetLayers(root: string, shape: FleetShape): NodeSpec[][] {
  const p = createTreePaths(root);
  const services: NodeSpec[] = [];
  const dirs: NodeSpec[] = [];
  const instances: NodeSpec[] = [];
  const routes: NodeSpec[] = [];
  for (let s = 0; s < shape.services; s++) {
    services.push({ path: p.service(serviceName(s)), data: '' });
    dirs.push({ path: p.instances(serviceName(s)), data: '' });
    routes.push({ path: p.route(serviceName(s)), data: routeData(s) });
    for (let i = 0; i < shape.instancesPerService; i++) instances.push({ path: p.instance(serviceName(s), instanceId(i)), data: instanceData(s, i, shape.instancesPerService) });
  }
  const top = [p.root, p.services, p.routes, p.config].map((path) => ({ path, data: '' }));
  return [top.slice(0, 1), top.slice(1), services, dirs, [...instances, ...routes]];
}

/** The same fleet as the tree cache would hold it after a full read. */
export function fleetTreeState(root: string, shape: FleetShape): TreeState {
  const p: TreePaths = createTreePaths(root);
  const state: TreeState = { services: new Map(), routes: new Map(), config: new Map(), zxid: 1 };
  for (let s = 0; s < shape.services; s++) {
    const name = serviceName(s);
    const instances = new Map<string, { path: string; data: string }>();
    for (let i = 0; i < shape.instancesPerService; i++) instances.set(instanceId(i), { path: p.instance(name, instanceId(i)), data: instanceData(s, i, shape.instancesPerService) });
    state.services.set(name, { name, node: { path: p.service(name), data: '' }, instances, gen: 1 });
    state.routes.set(name, { path: p.route(name), data: routeData(s) });
  }
  return state;
}

export type CreateTiming = { firstIssued: number; lastAck: number; count: number };

/**
 * Creates the nodes with at most `concurrency` creates in flight (Infinity: all issued at once).
 * A node that already exists is overwritten. Timestamps are performance.now().
 */
export async function createNodes(zk: ZkClient, nodes: readonly NodeSpec[], concurrency: number): Promise<CreateTiming> {
  const firstIssued = performance.now();
  let lastAck = firstIssued;
  let next = 0;
  const one = async (n: NodeSpec) => {
    const flags = n.ephemeral ? ZK.ZOO_EPHEMERAL : ZK.ZOO_PERSISTENT;
    try {
      await zk.create(n.path, n.data, flags);
    } catch (e) {
      if (!(e instanceof ZkOpError && e.rc === ZK.ZNODEEXISTS)) throw e;
      await zk.setData(n.path, n.data);
    }
    lastAck = Math.max(lastAck, performance.now());
  };
  const lane = async () => {
    while (next < nodes.length) await one(nodes[next++]!);
  };
  if (!Number.isFinite(concurrency)) await Promise.all(nodes.map(one));
  else await Promise.all(Array.from({ length: Math.min(concurrency, nodes.length) }, lane));
  return { firstIssued, lastAck, count: nodes.length };
}

/** Creates every layer of the fleet in order. */
export async function writeFleet(zk: ZkClient, root: string, shape: FleetShape, concurrency = 2_000): Promise<void> {
  for (const layer of fleetLayers(root, shape)) await createNodes(zk, layer, concurrency);
}
