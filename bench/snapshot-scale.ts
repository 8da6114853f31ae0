// 4. Snapshot scale: 100,000 instances in 1,000 services. Build time in memory; then on a real
// ZooKeeper and Redis of its own: the daemon's CPU and bytes per weight change, the manifest, the
// Node edge's apply time and heap, a Worker-style cold load, and Redis memory for 100 versions.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startRedis, startZooKeeper } from '../dev/servers.ts';
import { storeKeys } from '../shared/snapshot/store-keys.ts';
import { assembleContent, createSnapshotBuilder } from '../sync/build/build-snapshot.ts';
import { createTreePaths } from '../sync/zookeeper/tree-paths.ts';
import { createZkClient } from '../sync/zookeeper/zk-client.ts';
import { startChild } from './child.ts';
import { fleetTreeState, instanceId, serviceName, writeFleet, type FleetShape } from './fleet.ts';
import { startBenchDaemon } from './plane.ts';
import { cpuMs, round, sleep, summarize } from './stats.ts';
import type { BenchContext, Row, Section } from './types.ts';

const ROOT = '/bench-scale';
const PREFIX = 'bscale:';
const MB = 2 ** 20;

const row = (name: string, unit: string, samples: number[], extra: Partial<Row> = {}): Row => {
  const x = summarize(samples);
  return { name, unit, n: x.n, p50: x.p50, p99: x.p99, max: x.max, ...extra };
};

/** Full builds from a fresh builder (nothing cached), then single-service rebuilds. */
async function measureBuild(shape: FleetShape, reps: number) {
  const tree = fleetTreeState(ROOT, shape);
  const full: number[] = [];
  let builder = createSnapshotBuilder(() => {});
  for (let r = 0; r < reps; r++) {
    builder = createSnapshotBuilder(() => {});
    const t0 = performance.now();
    const built = await builder.build(tree);
    await assembleContent(built.services, built.routes, built.config);
    full.push(performance.now() - t0);
  }
  const incremental: number[] = [];
  const entry = tree.services.get(serviceName(0))!;
  for (let i = 0; i < 20; i++) {
    entry.node = { path: entry.node!.path, data: JSON.stringify({ weights: { [instanceId(0)]: i + 1 } }) };
    entry.gen++;
    const t0 = performance.now();
    const built = await builder.build(tree);
    await assembleContent(built.services, built.routes, built.config);
    incremental.push(performance.now() - t0);
  }
  return { full, incremental };
}

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
const netInput = async (redis: Redis) => Number(/total_net_input_bytes:(\d+)/.exec(await redis.info('stats'))?.[1]);

export async function measureSnapshotScale(ctx: BenchContext): Promise<Section> {
  const shape: FleetShape = ctx.quick ? { services: 200, instancesPerService: 100 } : { services: 1_000, instancesPerService: 100 };
  const instances = shape.services * shape.instancesPerService;
  const changes = 99; // with the first version: 100 kept versions
  ctx.log(`  build: ${instances.toLocaleString('en-US')} instances in ${shape.services} services, in memory`);
  const build = await measureBuild(shape, ctx.quick ? 2 : 5);

  // A ZooKeeper and a Redis of its own: a clean used_memory, and the big tree gone afterwards.
  const [zkServer, redisServer] = await Promise.all([startZooKeeper(), startRedis()]);
  const stopZk = ctx.resources.add('ZooKeeper (scale)', () => zkServer.stop(), zkServer.pid);
  const stopRedis = ctx.resources.add('Redis (scale)', () => redisServer.stop(), redisServer.pid);
  const redisUrl = `redis://127.0.0.1:${redisServer.port}`;
  const redis = new Redis(redisUrl);
  const closeRedis = ctx.resources.add('Redis client (scale)', async () => redis.disconnect());
  const writer = createZkClient({ connect: zkServer.address });
  const closeWriter = ctx.resources.add('ZooKeeper writer (scale)', () => writer.close());
  await writer.ready();
  ctx.log(`  writing the fleet to ZooKeeper`);
  let t0 = performance.now();
  await writeFleet(writer, ROOT, shape);
  const writeMs = performance.now() - t0;
  const memEmpty = await usedMemory(redis);

  t0 = performance.now();
  const d = await startBenchDaemon(ctx.resources, { zkConnect: zkServer.address, redisUrl, root: ROOT, prefix: PREFIX });
  const first = await d.waitPublished(() => true, 180_000, 'the whole fleet');
  const coldStartMs = first.at - t0;
  const memOne = await usedMemory(redis);

  const edge = await startChild(ctx, 'edge-fleet', ['--redis', redisUrl, '--prefix', PREFIX], { nodeFlags: ['--expose-gc'] });
  const load = await edge.request<{ wallMs: number; heapEmptyBytes: number; heapLoadedBytes: number; rssBytes: number }>({ type: 'load' });

  const keys = storeKeys(PREFIX);
  const paths = createTreePaths(ROOT);
  let heard = { path: '', cpu: Number.NaN, at: Number.NaN };
  d.zk.events.on('changed', (p) => (heard = { path: p, cpu: cpuMs(), at: performance.now() }));
  const s = { daemonCpu: [] as number[], daemonWall: [] as number[], setToPublished: [] as number[], bytes: [] as number[], netIn: [] as number[], manifest: [] as number[], document: [] as number[], apply: [] as number[], applyCpu: [] as number[], applyIo: [] as number[] };
  ctx.log(`  ${changes} weight changes, one at a time`);
  for (let i = 0; i < changes; i++) {
    const svc = serviceName((i * 37) % shape.services);
    const before = d.published.length;
    const in0 = await netInput(redis);
    const set0 = performance.now();
    await writer.setData(paths.service(svc), JSON.stringify({ weights: { [instanceId(i % shape.instancesPerService)]: 1 + i } }));
    const pub = await d.waitPublished((p) => d.published.indexOf(p) >= before, 10_000, `weight change ${i}`);
    const cpuDone = cpuMs();
    if (heard.path !== paths.service(svc)) throw new Error(`expected the daemon to hear ${paths.service(svc)}, it heard ${heard.path}`);
    s.daemonCpu.push(cpuDone - heard.cpu);
    s.daemonWall.push(pub.at - heard.at);
    s.setToPublished.push(pub.at - set0);
    s.netIn.push((await netInput(redis)) - in0);
    const manifestBytes = await redis.strlen(keys.snapshot(pub.manifest.version));
    const docBytes = await redis.strlen(keys.service(pub.manifest.services[svc]!));
    s.manifest.push(manifestBytes);
    s.document.push(docBytes);
    s.bytes.push(manifestBytes + docBytes);
    const applied = await edge.request<{ wallMs: number; cpuMs: number; ioMs: number; version: number }>({ type: 'apply' });
    if (applied.version !== pub.manifest.version) throw new Error(`the edge applied version ${applied.version}, expected ${pub.manifest.version}`);
    s.apply.push(applied.wallMs);
    s.applyCpu.push(applied.cpuMs);
    s.applyIo.push(applied.ioMs);
    await sleep(5);
  }
  await sleep(200);
  const memHundred = await usedMemory(redis);
  const history = await redis.zcard(keys.history);
  await edge.stop();

  const routeHost = `${serviceName(Math.floor(shape.services / 2))}.bench.local`;
  const lazy = await startChild(ctx, 'lazy-cold', ['--redis', redisUrl, '--prefix', PREFIX, '--host', routeHost]);
  const cold = await lazy.request<{ first: { wallMs: number; cpuMs: number }; warm: Array<{ wallMs: number; cpuMs: number }> }>({ type: 'run', repeats: ctx.quick ? 5 : 30 });
  await lazy.stop();
  await d.stop();
  await closeWriter();
  await closeRedis();
  await stopRedis();
  await stopZk();

  const perVersion = (memHundred - memOne) / changes;
  const rows: Row[] = [
    row('full build (validate, build 1,000 documents, hash, manifest), in memory', 'ms', build.full, { goal: { text: 'median ≤ 1,000 ms', stat: 'p50', op: '<=', limit: 1_000 } }),
    row('  rebuild after one weight change, in memory', 'ms', build.incremental),
    row("daemon's CPU to publish one weight change (watch event → published)", 'ms', s.daemonCpu, { goal: { text: 'median ≤ 10 ms', stat: 'p50', op: '<=', limit: 10 } }),
    row('  wall time, watch event → published', 'ms', s.daemonWall),
    row('  setData → published', 'ms', s.setToPublished),
    row('bytes written per change (the service document + the manifest)', 'bytes', s.bytes),
    row('  Redis network input per change (commands, protocol, the Lua script call)', 'bytes', s.netIn),
    row('  manifest size', 'bytes', s.manifest),
    row('  service document size (100 instances)', 'bytes', s.document),
    row("Node edge: time to apply one change (refresh: current, manifest, one document)", 'ms', s.apply, { goal: { text: 'median ≤ 5 ms', stat: 'p50', op: '<=', limit: 5 } }),
    row('  of which CPU of the edge process', 'ms', s.applyCpu),
    row('  of which waiting on Redis', 'ms', s.applyIo),
    { name: 'Node edge heap with the whole fleet loaded (heapUsed after GC)', unit: 'MB', p50: load.heapLoadedBytes / MB, note: '' },
    { name: '  heap above the empty edge', unit: 'MB', p50: (load.heapLoadedBytes - load.heapEmptyBytes) / MB },
    { name: '  first load of the whole fleet (eager)', unit: 'ms', p50: load.wallMs },
    row('Worker-style cold load of one route’s service (Node, lazy cache, warm JIT), CPU', 'ms', cold.warm.map((c) => c.cpuMs), { goal: { text: 'median ≤ 10 ms CPU', stat: 'p50', op: '<=', limit: 10 } }),
    { name: '  the first cold load in a fresh process (JIT cold too), CPU', unit: 'ms', p50: cold.first.cpuMs },
    { name: `Redis memory for ${history} kept versions (used_memory − empty)`, unit: 'MB', p50: (memHundred - memEmpty) / MB },
    { name: '  of which the first version (the whole fleet)', unit: 'MB', p50: (memOne - memEmpty) / MB },
    { name: '  each further version (one weight changed)', unit: 'KB', p50: perVersion / 1024 },
    { name: 'writing the fleet to ZooKeeper (2,000 creates in flight)', unit: 'ms', p50: writeMs },
    { name: 'daemon cold start: full read of the tree + first publish', unit: 'ms', p50: coldStartMs },
  ];
  return {
    id: 'scale',
    title: '4. Snapshot scale (100,000 instances in 1,000 services)',
    rows,
    notes: [
      `Fleet: ${shape.services.toLocaleString('en-US')} services × ${shape.instancesPerService} instances (each with url, weight and zone), one route per service. The build is measured in memory (createSnapshotBuilder + assembleContent over a TreeState as the tree cache holds it), ${build.full.length} times from a fresh builder.`,
      `The rest runs on a ZooKeeper and a Redis started for this measurement only. The daemon runs in the bench process; its CPU per change is this process's CPU time (all threads: the ZooKeeper client's, GC, the crypto pool) from the moment its ZooKeeper client hears the watch event to the \`published\` event, with nothing else running in the process. ${changes} changes, each the \`weights\` of a different service, one at a time; a change follows the previous publish by less than 50 ms (the edge applies it first), so the wall-time rows include the daemon's 50 ms coalescing interval, the CPU row does not.`,
      'Bytes written per change are the lengths of the two keys a change writes (the new service document and the manifest); Redis\'s `total_net_input_bytes` over the same change is shown beside it.',
      "The edge's apply time is `SnapshotCache.refresh()` (eager mode, Redis source, no push) in its own process, told to refresh after each publish; its heap is `heapUsed` after two forced GCs with the whole fleet loaded.",
      `The Worker's cold load is measured in Node, as a proxy for workerd: a new \`createSnapshotCache({ mode: 'lazy' })\` over an in-memory source holding the store's texts reads \`current\` and the manifest (verifying its root hash), matches the route ${routeHost}, and loads and verifies that route's service document. CPU is process CPU time; ${cold.warm.length} repetitions in one process (JIT warm, cache cold) carry the goal; the first in a fresh process is shown beside it. Module loading is not included.`,
      `Redis memory: \`used_memory\` of the empty Redis, after the first version, and after ${changes} more versions (each one weight changed; the store keeps 100).`,
    ],
    details: { shape, buildMs: { full: build.full.map(round), incremental: build.incremental.map(round) }, samples: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.map(round)])), load, cold, memory: { empty: memEmpty, oneVersion: memOne, hundredVersions: memHundred, history } },
  };
}
