// 1. Propagation: ZooKeeper setData → the Node edge serving the new version (Redis pub/sub push),
// beside the ZooKeeper commit alone (setData on a path nobody watches), over spaced weight changes.
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { startNodeEdge } from '../edge/node.ts';
import type { Logger } from '../shared/log.ts';
import { createTreePaths } from '../sync/zookeeper/tree-paths.ts';
import { createZkClient, ZK, ZkOpError } from '../sync/zookeeper/zk-client.ts';
import { instanceId, serviceName, writeFleet } from './fleet.ts';
import { nextEvent, startBenchDaemon } from './plane.ts';
import { round, sleep, summarize } from './stats.ts';
import type { BenchContext, Row, Section } from './types.ts';

const ROOT = '/bench-propagation';
const UNWATCHED = '/bench-unwatched';
const SHAPE = { services: 10, instancesPerService: 10 };

/** An edge logger that timestamps each `snapshot loaded` (the moment the edge serves that version). */
function loadProbe() {
  const loadedAt = new Map<number, number>();
  const events = new EventEmitter();
  const log: Logger = {
    info(fields, msg) {
      if (msg !== 'snapshot loaded') return;
      const v = fields.version as number;
      loadedAt.set(v, performance.now());
      events.emit('loaded', v);
    },
    warn: () => {},
    error: () => {},
    child: () => log,
  };
  /** When the edge first served `v` or a later version. */
  const servedAt = async (v: number, timeoutMs: number): Promise<number> => {
    const seen = () => [...loadedAt].filter(([x]) => x >= v).map(([, t]) => t);
    if (seen().length === 0) await nextEvent<number>(events, 'loaded', (x) => x >= v, timeoutMs, `the edge to load version ${v}`);
    return Math.min(...seen());
  };
  return { log, servedAt, loadedAt };
}

export async function measurePropagation(ctx: BenchContext): Promise<Section> {
  const changes = ctx.quick ? 60 : 500;
  const writer = createZkClient({ connect: ctx.zkConnect });
  ctx.resources.add('ZooKeeper writer (propagation)', () => writer.close());
  await writer.ready();
  await writeFleet(writer, ROOT, SHAPE);
  await writer.mkdirp(UNWATCHED);
  await writer.create(`${UNWATCHED}/node`, '0').catch((e) => {
    if (!(e instanceof ZkOpError && e.rc === ZK.ZNODEEXISTS)) throw e;
  });

  const d = await startBenchDaemon(ctx.resources, { zkConnect: ctx.zkConnect, redisUrl: ctx.redisUrl, root: ROOT, prefix: 'bprop:' });
  const first = await d.waitPublished(() => true, 30_000, 'the first snapshot');
  const probe = loadProbe();
  // Poll once an hour: every version must arrive by push.
  const edge = await startNodeEdge({ redisUrl: ctx.redisUrl, redisPrefix: 'bprop:', port: 0, host: '127.0.0.1', pollMs: 3_600_000, staleAfterMs: 3_600_000, log: probe.log });
  ctx.resources.add('Node edge (propagation)', () => edge.close());
  await probe.servedAt(first.manifest.version, 10_000);

  const target = createTreePaths(ROOT).service(serviceName(0));
  let heardAt = Number.NaN;
  d.zk.events.on('changed', (p) => {
    if (p === target) heardAt = performance.now();
  });

  const s = { commitWatched: [] as number[], floor: [] as number[], heard: [] as number[], heardToPublish: [] as number[], redisAck: [] as number[], edge: [] as number[], pushToEdge: [] as number[] };
  let last = first.manifest.version;
  let timeouts = 0;
  let notServed = 0;
  let delayed = 0;
  ctx.log(`  ${changes} weight changes, ≥ 60 ms apart`);
  for (let i = 0; i < changes; i++) {
    heardAt = Number.NaN;
    const t0 = performance.now();
    const after = last;
    const published = d.waitPublished((p) => p.manifest.version > after, 5_000, `the version after ${after}`);
    published.catch(() => {}); // awaited below; a timeout is handled there
    try {
      await writer.setData(target, JSON.stringify({ weights: { [instanceId(0)]: 1 + (i % 9_000) } }));
      const ack = performance.now();
      const pub = await published;
      const v = pub.manifest.version;
      const served = await probe.servedAt(v, 5_000);
      const call = d.calls.find((c) => c.version === v)?.at ?? Number.NaN;
      s.commitWatched.push(ack - t0);
      s.heard.push(heardAt - t0);
      s.heardToPublish.push(call - heardAt);
      s.redisAck.push(pub.at - call);
      s.edge.push(served - t0);
      s.pushToEdge.push(served - call);
      if (call - heardAt > 25) delayed++;
      last = v;
      const res = await fetch(`http://127.0.0.1:${edge.port}/_zkedge/health`);
      await res.arrayBuffer();
      if (res.headers.get('x-zkedge-version') !== String(v)) notServed++;
    } catch (e) {
      timeouts++;
      ctx.log(`  change ${i}: ${(e as Error).message}`);
      if (timeouts > 10) throw new Error(`more than 10 changes did not reach the edge; last: ${(e as Error).message}`);
      last = Math.max(last, ...d.published.map((p) => p.manifest.version));
    }
    // The floor, in the same quiet gap: a commit that no watch, daemon or edge reacts to.
    const f0 = performance.now();
    await writer.setData(`${UNWATCHED}/node`, String(i));
    s.floor.push(performance.now() - f0);
    const wait = t0 + 60 + Math.random() * 20 - performance.now();
    if (wait > 0) await sleep(wait);
  }

  const row = (name: string, samples: number[], extra: Partial<Row> = {}): Row => {
    const x = summarize(samples.filter((v) => !Number.isNaN(v)));
    return { name, unit: 'ms', n: x.n, p50: x.p50, p99: x.p99, max: x.max, ...extra };
  };
  const rows: Row[] = [
    row('setData → Node edge serving the new version (push)', s.edge, { goal: { text: 'p99 ≤ 10 ms', stat: 'p99', op: '<=', limit: 10 } }),
    row('ZooKeeper commit alone (setData on an unwatched path): the floor', s.floor),
    row('  setData acknowledged (the watched node)', s.commitWatched),
    row('  setData → daemon hears the watch event', s.heard),
    row('  daemon hears → daemon calls store.publish (re-read, build, version counter, any coalescing wait)', s.heardToPublish),
    row('  store.publish called → Redis acknowledged the publish', s.redisAck),
    row('  store.publish called → edge serving (Redis write, push, edge load)', s.pushToEdge),
  ];
  return {
    id: 'propagation',
    title: '1. Propagation (ZooKeeper → daemon → Redis → Node edge)',
    rows,
    notes: [
      `${changes} weight changes (the ServiceConfig \`weights\` of one service, ${SHAPE.services} services × ${SHAPE.instancesPerService} instances), each starting 60–80 ms after the previous one, so every change is the first after a quiet period (leading edge). ZooKeeper, Redis, the daemon and the edge run on this machine; the daemon and the edge run in the bench process (as the tests run them), ZooKeeper and Redis are their own processes.`,
      '"Serving" is the moment the edge swaps the new snapshot in (its `snapshot loaded` log call, made after `current` is replaced); after every change an HTTP request to the edge checked that it answers with the new `x-zkedge-version`. The edge polls once an hour, so every version arrived by push.',
      `Changes that reached the edge: ${changes - timeouts}/${changes}; answered with the new version over HTTP: ${changes - timeouts - notServed}/${changes - timeouts}; published later than 25 ms after the daemon heard of them (coalescing delay): ${delayed}.`,
      'The floor is a setData on a node nobody watches, issued in the same quiet gap after each change: ZooKeeper\'s own commit (it syncs its transaction log to disk before answering).',
    ],
    details: { changes, timeouts, notServed, coalescingDelayed: delayed, samplesMs: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.map(round)])) },
  };
}
