// 5. Burst: 10,000 instances register at once (concurrent ephemeral creates from one ZooKeeper
// client); how many snapshots the daemon publishes, how far apart, and when the final one lands.
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { storeKeys } from '../shared/snapshot/store-keys.ts';
import { assembleContent, createSnapshotBuilder } from '../sync/build/build-snapshot.ts';
import { createZkClient } from '../sync/zookeeper/zk-client.ts';
import { createNodes, fleetLayers, fleetTreeState } from './fleet.ts';
import { startBenchDaemon } from './plane.ts';
import { round, sleep, summarize } from './stats.ts';
import type { BenchContext, Row, Section } from './types.ts';

const ROOT = '/bench-burst';
const PREFIX = 'bburst:';

/** Root hash of the snapshot the daemon must end with: every instance registered. */
async function finalHash(shape: { services: number; instancesPerService: number }): Promise<string> {
  const built = await createSnapshotBuilder(() => {}).build(fleetTreeState(ROOT, shape));
  return (await assembleContent(built.services, built.routes, built.config)).hash;
}

export async function measureBurst(ctx: BenchContext): Promise<Section> {
  const shape = ctx.quick ? { services: 20, instancesPerService: 100 } : { services: 100, instancesPerService: 100 };
  const total = shape.services * shape.instancesPerService;
  const writer = createZkClient({ connect: ctx.zkConnect });
  ctx.resources.add('ZooKeeper writer (burst; holds the ephemeral registrations)', () => writer.close());
  await writer.ready();
  const layers = fleetLayers(ROOT, shape);
  const instancePaths = (p: string) => p.includes('/instances/');
  for (const layer of layers) await createNodes(writer, layer.filter((n) => !instancePaths(n.path)), 500);
  const registrations = layers.flat().filter((n) => instancePaths(n.path)).map((n) => ({ ...n, ephemeral: true }));
  const expected = await finalHash(shape);

  const d = await startBenchDaemon(ctx.resources, { zkConnect: ctx.zkConnect, redisUrl: ctx.redisUrl, root: ROOT, prefix: PREFIX });
  const initial = await d.waitPublished(() => true, 30_000, 'the snapshot before the burst');
  await sleep(500); // quiet before the burst: its first change is a leading edge

  ctx.log(`  ${total.toLocaleString('en-US')} ephemeral creates issued at once`);
  const w = await createNodes(writer, registrations, Infinity);
  const final = await d.waitPublished((p) => p.manifest.hash === expected, 30_000, 'the snapshot with every registration');
  await sleep(1_500); // anything published after the final snapshot would show up here
  await d.stop();

  const calls = d.calls.filter((c) => c.at >= w.firstIssued);
  const publishes = d.published.filter((p) => p.at >= w.firstIssued);
  const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
  const redis = new Redis(ctx.redisUrl);
  const keys = storeKeys(PREFIX);
  const counts: number[] = [];
  try {
    for (const p of publishes) {
      const texts = await redis.mget(...Object.values(p.manifest.services).map(keys.service));
      counts.push(texts.reduce((n, t) => n + (t === null ? 0 : Object.keys((JSON.parse(t) as { instances: object }).instances).length), 0));
    }
  } finally {
    redis.disconnect();
  }
  const timeline = publishes.map((p, i) => ({ atMs: round(p.at - w.firstIssued), version: p.manifest.version, instances: counts[i] }));
  const after = publishes.filter((p) => p.at > final.at).length;
  const g = summarize(gaps);
  const times = calls.map((c) => c.at);
  const perWindow = times.reduce((most, t, i) => Math.max(most, times.filter((u, j) => j >= i && u - t < 50).length), 0);
  const rows: Row[] = [
    { name: 'snapshots published from the first create to the final snapshot', unit: '', p50: publishes.length - after },
    { name: 'interval between publishes during the burst', unit: 'ms', n: g.n, p50: g.p50, p99: g.p99, max: g.max },
    { name: 'most publishes within any 50 ms', unit: '', p50: perWindow, goal: { text: '≤ 1', stat: 'p50', op: '<=', limit: 1 } },
    { name: 'shortest interval between two publishes', unit: 'ms', p50: g.min },
    { name: 'final snapshot holds every registration (the last change published)', unit: 'yes/no', p50: final.manifest.hash === expected && after === 0 ? 1 : 0, goal: { text: 'yes', stat: 'p50', op: '>=', limit: 1 } },
    { name: 'last create acknowledged → final snapshot published', unit: 'ms', p50: final.at - w.lastAck, goal: { text: '≤ 1,000 ms', stat: 'p50', op: '<=', limit: 1_000 } },
    { name: 'first create issued → first publish of the burst (leading edge)', unit: 'ms', p50: (calls[0]?.at ?? Number.NaN) - w.firstIssued },
    { name: 'first create issued → last create acknowledged', unit: 'ms', p50: w.lastAck - w.firstIssued },
  ];
  return {
    id: 'burst',
    title: '5. Burst (10,000 registrations at once)',
    rows,
    notes: [
      `${total.toLocaleString('en-US')} instances (${shape.services} services × ${shape.instancesPerService}) register as ephemeral nodes, all ${total.toLocaleString('en-US')} creates issued at once from one ZooKeeper client, after the daemon published the fleet without instances (version ${initial.manifest.version}) and 500 ms of quiet. Publishes are timed when the daemon calls store.publish; the final snapshot is recognised by its root hash, computed beforehand from the same nodes; 1.5 s after it the bench checked that nothing else was published (${after} more).`,
      `Timeline (ms after the first create: instances in the published snapshot): ${timeline.map((t) => `${t.atMs}: ${t.instances}`).join(', ')}. The last create was acknowledged at ${round(w.lastAck - w.firstIssued)} ms; the first publish of the burst came ${round((calls[0]?.at ?? Number.NaN) - w.lastAck)} ms after the last acknowledgement.`,
    ],
    details: { shape, writes: { firstIssuedToLastAckMs: round(w.lastAck - w.firstIssued) }, gapsMs: gaps.map(round), timeline, publishedAfterFinal: after },
  };
}
