// 3. Proxy: peak requests/s and latency with wrk for a backend direct, the Node edge, a bare undici
// pass-through and nginx (one worker), all in front of one backend, then latency at a fixed rate
// of half the edge's peak from an open-loop Node load generator.
import { createZkClient } from '../sync/zookeeper/zk-client.ts';
import { startChild, type BenchChild } from './child.ts';
import { startNginx } from './nginx.ts';
import { startBenchDaemon } from './plane.ts';
import { median, round, summarize } from './stats.ts';
import type { BenchContext, Row, Section } from './types.ts';
import { runWrk, type WrkResult } from './wrk.ts';

const ROOT = '/bench-proxy';
const CONNECTIONS = 64;
type HalfRun = { latencies: number[]; errors: number; achievedRate: number; maxSendLagMs: number };
/** A target behind a bench child is restarted when it died, and the death is counted. */
type Target = { key: string; name: string; url: string; proc?: { name: string; args: string[]; child: BenchChild } };

async function checkTarget(t: Target): Promise<void> {
  const res = await fetch(t.url);
  const body = await res.text();
  if (res.status !== 200 || !body.includes('"backend":"bench"')) throw new Error(`${t.name} at ${t.url} answered ${res.status}: ${body.slice(0, 200)}`);
}

/** Writes a one-service route to the backend, lets the daemon publish it, then stops the daemon. */
async function publishRoute(ctx: BenchContext, backendUrl: string, prefix: string): Promise<void> {
  const zk = createZkClient({ connect: ctx.zkConnect });
  const closeZk = ctx.resources.add('ZooKeeper writer (proxy)', () => zk.close());
  await zk.ready();
  await zk.mkdirp(`${ROOT}/services/backend/instances`);
  await zk.mkdirp(`${ROOT}/routes`);
  await zk.create(`${ROOT}/services/backend/instances/b1`, JSON.stringify({ url: backendUrl }));
  await zk.create(`${ROOT}/routes/all`, JSON.stringify({ host: '*', service: 'backend' }));
  const d = await startBenchDaemon(ctx.resources, { zkConnect: ctx.zkConnect, redisUrl: ctx.redisUrl, root: ROOT, prefix });
  await d.waitPublished((p) => Object.keys(p.manifest.services).length === 1, 30_000, 'the proxy route');
  await d.stop();
  await closeZk();
}

/** The last error a crashed child printed, in one line. */
const crashLine = (output: string) => /^(\w*Error[^\n]*)$/m.exec(output)?.[1] ?? output.trim().split('\n').slice(-3).join(' ');

export async function measureProxy(ctx: BenchContext): Promise<Section> {
  const seconds = ctx.quick ? 3 : 5;
  const rounds = ctx.quick ? 1 : 3;
  const halfRounds = ctx.quick ? 1 : 3;
  const backend = await startChild(ctx, 'backend', []);
  const backendUrl = `http://127.0.0.1:${backend.ready.port as number}`;
  await publishRoute(ctx, backendUrl, 'bproxy:');
  const launch = async (name: string, args: string[]) => {
    const child = await startChild(ctx, name, args);
    return { url: `http://127.0.0.1:${child.ready.port as number}/`, proc: { name, args, child } };
  };
  const nginx = await startNginx(ctx.resources, backend.ready.port as number);
  const targets: Target[] = [
    { key: 'direct', name: '(a) backend direct', url: `${backendUrl}/`, proc: { name: 'backend', args: [], child: backend } },
    { key: 'edge', name: '(b) Node edge', ...(await launch('edge', ['--redis', ctx.redisUrl, '--prefix', 'bproxy:'])) },
    { key: 'bare', name: '(c) bare undici proxy', ...(await launch('bare-proxy', ['--backend', backendUrl])) },
    { key: 'nginx', name: '(d) nginx, 1 worker', url: `http://127.0.0.1:${nginx.port}/` },
  ];
  for (const t of targets) await checkTarget(t);
  const gen = await startChild(ctx, 'loadgen', []);
  const warm = (t: Target) => gen.request({ type: 'closed', url: t.url, connections: CONNECTIONS, durationMs: 2_000 });
  const crashes = new Map<string, string[]>(targets.map((t) => [t.key, []]));

  /** Restarts a target whose process died (the backend keeps its port: every proxy points at it). */
  const ensureAlive = async (t: Target) => {
    if (t.proc === undefined || !t.proc.child.exited()) return;
    if (t.key === 'direct') throw new Error(`the backend died: ${crashLine(t.proc.child.output())}`);
    crashes.get(t.key)!.push(crashLine(t.proc.child.output()));
    await t.proc.child.stop();
    Object.assign(t, await launch(t.proc.name, t.proc.args));
    await checkTarget(t);
    await warm(t);
  };
  const wrk = async (t: Target, s: number): Promise<WrkResult> => {
    await ensureAlive(t);
    return runWrk(ctx.resources, t.url, { connections: CONNECTIONS, seconds: s });
  };

  ctx.log(`  peak: wrk -t1 -c${CONNECTIONS}, ${rounds} rounds × ${seconds} s per target`);
  for (const t of targets) await warm(t); // JIT, connection pools; ends without cutting responses
  const peak = new Map<string, WrkResult[]>(targets.map((t) => [t.key, []]));
  for (let r = 0; r < rounds; r++) for (const t of targets) peak.get(t.key)!.push(await wrk(t, seconds));
  const rps = (key: string) => median(peak.get(key)!.map((w) => w.rps));

  const rate = Math.round(rps('edge') / 2);
  ctx.log(`  half load: ${rate} req/s open loop, ${halfRounds} rounds × ${seconds} s per target`);
  const half = new Map<string, HalfRun[]>(targets.map((t) => [t.key, []]));
  for (const t of targets) await ensureAlive(t);
  for (let r = 0; r < halfRounds; r++) {
    for (const t of targets) {
      await ensureAlive(t);
      half.get(t.key)!.push(await gen.request<HalfRun>({ type: 'run', url: t.url, rate, durationMs: seconds * 1000, warmupMs: 1000, connections: CONNECTIONS }));
    }
  }
  for (const t of targets) if (t.proc?.child.exited()) crashes.get(t.key)!.push(crashLine(t.proc.child.output()));
  await gen.stop();
  await nginx.stop();
  for (const t of targets) await t.proc?.child.stop();

  const rows: Row[] = [];
  for (const t of targets) {
    const runs = peak.get(t.key)!;
    rows.push({ name: `${t.name}: peak throughput`, unit: 'req/s', n: runs.length, p50: Math.round(rps(t.key)), max: Math.round(Math.max(...runs.map((w) => w.rps))) });
    rows.push({ name: `  latency at peak (wrk, ${CONNECTIONS} connections)`, unit: 'ms', n: runs.length, p50: median(runs.map((w) => w.p50Ms)), p99: median(runs.map((w) => w.p99Ms)), max: Math.max(...runs.map((w) => w.maxMs)) });
  }
  const ratio = (a: string, b: string) => rps(a) / rps(b);
  rows.push({ name: 'edge ÷ bare undici proxy (throughput)', unit: '×', p50: ratio('edge', 'bare'), goal: { text: '≥ 0.75×', stat: 'p50', op: '>=', limit: 0.75 } });
  rows.push({ name: 'edge ÷ nginx', unit: '×', p50: ratio('edge', 'nginx') });
  rows.push({ name: 'bare undici proxy ÷ nginx', unit: '×', p50: ratio('bare', 'nginx') });
  rows.push({ name: 'edge ÷ backend direct', unit: '×', p50: ratio('edge', 'direct') });
  const halfStats = new Map(targets.map((t) => [t.key, summarize(half.get(t.key)!.flatMap((h) => h.latencies))]));
  for (const t of targets) {
    const x = halfStats.get(t.key)!;
    rows.push({ name: `${t.name}: latency at ${rate} req/s`, unit: 'ms', n: x.n, p50: x.p50, p99: x.p99, max: x.max });
  }
  // Paired by round (same minute, same background), then the median over rounds.
  const added = (key: string) => {
    const diff = (stat: 'p50' | 'p99') => median(half.get(key)!.map((h, r) => summarize(h.latencies)[stat] - summarize(half.get('direct')![r]!.latencies)[stat]));
    return { n: half.get(key)!.length, p50: diff('p50'), p99: diff('p99') };
  };
  rows.push({ name: `edge: added latency at ${rate} req/s (edge − direct)`, unit: 'ms', ...added('edge'), goal: { text: 'p99 ≤ 0.5 ms', stat: 'p99', op: '<=', limit: 0.5 } });
  rows.push({ name: `bare undici proxy: added latency at ${rate} req/s`, unit: 'ms', ...added('bare') });
  rows.push({ name: `nginx: added latency at ${rate} req/s`, unit: 'ms', ...added('nginx') });
  for (const t of targets) if (crashes.get(t.key)!.length > 0) rows.push({ name: `${t.name}: process crashed (restarted by the bench)`, unit: 'times', p50: crashes.get(t.key)!.length });
  const errors = [...peak.values()].flat().reduce((a, w) => a + w.errors, 0) + [...half.values()].flat().reduce((a, h) => a + h.errors, 0);
  const lag = Math.max(...[...half.values()].flat().map((h) => h.maxSendLagMs));
  const crashNotes = targets
    .filter((t) => crashes.get(t.key)!.length > 0)
    .map((t) => `**${t.name} crashed ${crashes.get(t.key)!.length} time(s)** during these runs, each time when wrk closed its connections at the end of a run with responses in flight: \`${[...new Set(crashes.get(t.key))].join('`; `')}\`. The bench restarted it, warmed it up again (2 s, closed loop) and went on; wrk's numbers cover the run before the crash.`);
  return {
    id: 'proxy',
    title: '3. Proxy throughput and latency',
    rows,
    notes: [
      `One backend (node:http, a ${backend.ready.bodyBytes as number}-byte JSON answer, its own process) behind each proxy, each proxy in its own process: (b) the Node edge as \`startNodeEdge\` runs it (Hono on node:http, route "*" → one service with one instance, undici Pool transport); (c) node:http + one undici keep-alive Pool, no routing, no Hono — the ceiling for a Node proxy; (d) nginx, one worker, upstream keep-alive. All on 127.0.0.1, in one run, sharing this machine's cores with the load generator (so absolute numbers are lower than on a dedicated box; the ratios are the point).`,
      `Peak: \`wrk -t1 -c${CONNECTIONS} -d${seconds}s --latency\`, after a 2 s closed-loop warm-up per target; ${rounds} rounds, targets interleaved; the table gives the median round (max = best round for throughput, worst for latency). wrk's latency at peak is closed-loop (it includes queueing at saturation).`,
      `Half load: wrk2 is not installed, so bench/procs/loadgen.ts (its own process) sends GETs at a fixed rate of half the edge's median peak (${rate} req/s) for ${seconds} s after 1 s of warm-up, open loop (each 1 ms timer tick sends the requests due by then, over an undici Pool of up to ${CONNECTIONS} connections), ${halfRounds} rounds, targets interleaved; the latency rows pool every round's samples. Latency = send → last body byte. "Added" = that target's p50 (p99) minus the direct backend's in the same round, median over the rounds. Largest lag of a send behind its schedule: ${round(lag)} ms. Errors (non-2xx, socket) over all runs: ${errors}.`,
      ...crashNotes,
    ],
    details: {
      connections: CONNECTIONS,
      seconds,
      rounds,
      rate,
      crashes: Object.fromEntries(crashes),
      peak: Object.fromEntries(peak),
      half: Object.fromEntries([...half].map(([k, v]) => [k, { pooled: halfStats.get(k), rounds: v.map((h) => ({ ...summarize(h.latencies), latencies: undefined, errors: h.errors, achievedRate: round(h.achievedRate), maxSendLagMs: round(h.maxSendLagMs) })) }])),
    },
  };
}
