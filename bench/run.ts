// `npm run bench`: starts real ZooKeeper, Redis, nginx, backends, the daemon and the edge on
// loopback, runs each measurement, writes BENCHMARKS.md and bench/results.json, prints a summary,
// and stops everything it started (also on failure or Ctrl-C).
//
// Flags: --quick (fewer samples, shorter runs), --only=a,b (sections by id: propagation,
// selection, proxy, scale, burst); both write to .bench-tmp/ instead of BENCHMARKS.md unless
// --write is given. --cpu-prof: every bench child writes a CPU profile to .bench-tmp/profiles/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startRedis, startZooKeeper, tcpAsk } from '../dev/servers.ts';
import { measureBurst } from './burst.ts';
import { HOW_TO_READ } from './how-to-read.ts';
import { MISSES } from './misses.ts';
import { measurePropagation } from './propagation.ts';
import { measureProxy } from './proxy.ts';
import { describeMachine, evaluate, renderMarkdown, summaryLines, writeResults } from './report.ts';
import { createResources } from './resources.ts';
import { measureSelection } from './selection.ts';
import { measureSnapshotScale } from './snapshot-scale.ts';
import type { BenchContext, Section } from './types.ts';
import { backgroundCpu, waitForQuiet } from './machine-load.ts';

const SECTIONS: Array<{ id: string; title: string; run: (ctx: BenchContext) => Promise<Section> }> = [
  { id: 'selection', title: '2. Selection cost', run: measureSelection },
  { id: 'propagation', title: '1. Propagation', run: measurePropagation },
  { id: 'proxy', title: '3. Proxy', run: measureProxy },
  { id: 'burst', title: '5. Burst', run: measureBurst },
  { id: 'scale', title: '4. Snapshot scale', run: measureSnapshotScale },
];
const ORDER = ['propagation', 'selection', 'proxy', 'scale', 'burst']; // report order: the numbering
const DEADLINE_MS = 9.5 * 60_000; // the whole run must stay under 10 minutes

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const toRepo = args.includes('--write') || (!quick && only === undefined);
const repo = fileURLToPath(new URL('..', import.meta.url));
const outDir = toRepo ? repo : `${repo}.bench-tmp/`;
const resources = createResources();
const say = (line: string) => process.stdout.write(`${line}\n`);

let stopping: Promise<void> | undefined;
const stopEverything = () =>
  (stopping ??= (async () => {
    for (const line of await resources.stopAll()) say(`  ${line}`);
  })());

// A closed pipe (`npm run bench | head`) must not kill the run before it stops what it started.
process.stdout.on('error', () => {});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    say(`\n${signal}: stopping everything the bench started`);
    void stopEverything().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  say(`\nthe bench ran longer than ${DEADLINE_MS / 60_000} minutes: stopping everything`);
  void stopEverything().finally(() => process.exit(1));
}, DEADLINE_MS);
deadline.unref();

async function main(): Promise<number> {
  const startedAt = new Date();
  const t0 = performance.now();
  say(`zkedge bench${quick ? ' (quick)' : ''}: starting ZooKeeper and Redis on loopback…`);
  const [zk, redis] = await Promise.all([startZooKeeper(), startRedis()]);
  resources.add('ZooKeeper', () => zk.stop(), zk.pid);
  resources.add('Redis', () => redis.stop(), redis.pid);
  const zkVersion = async () => /Zookeeper version: ([^,\s-]+)/.exec(await tcpAsk(zk.port, 'srvr').catch(() => ''))?.[1] ?? 'unknown';
  const cpuProfDir = args.includes('--cpu-prof') ? `${repo}.bench-tmp/profiles` : undefined;
  if (cpuProfDir !== undefined) mkdirSync(cpuProfDir, { recursive: true });
  const ctx: BenchContext = { resources, zkConnect: zk.address, redisUrl: `redis://127.0.0.1:${redis.port}`, quick, log: say, ...(cpuProfDir ? { cpuProfDir } : {}) };
  const quietAtStart = await waitForQuiet(0.15, 60_000, say);

  const sections: Section[] = [];
  for (const s of SECTIONS) {
    if (only !== undefined && !only.includes(s.id)) continue;
    say(`\n${s.title}…`);
    const background = await backgroundCpu(1_000);
    const started = performance.now();
    try {
      const section = await s.run(ctx);
      section.seconds = Math.round((performance.now() - started) / 1000);
      section.backgroundCpu = background;
      sections.push(section);
    } catch (e) {
      say(`  failed: ${(e as Error).stack ?? e}`);
      sections.push({ id: s.id, title: s.title, rows: [], notes: [], details: {}, error: (e as Error).message, seconds: Math.round((performance.now() - started) / 1000), backgroundCpu: background });
    }
    say(`  done in ${Math.round((performance.now() - started) / 1000)} s`);
  }
  sections.sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));
  evaluate(sections);
  const seconds = (performance.now() - t0) / 1000;
  const machine = describeMachine(await zkVersion());
  mkdirSync(outDir, { recursive: true });
  const mdPath = `${outDir}BENCHMARKS.md`;
  const jsonPath = toRepo ? `${repo}bench/results.json` : `${outDir}results.json`;
  const run = { startedAt, seconds, quick, backgroundCpuAtStart: quietAtStart };
  writeFileSync(mdPath, renderMarkdown(sections, machine, run, `${HOW_TO_READ}\n${MISSES}`));
  writeResults(jsonPath, sections, machine, run);
  for (const line of summaryLines(sections)) say(line);
  say(`\nwrote ${mdPath} and ${jsonPath} (${Math.round(seconds)} s)`);
  return sections.some((s) => s.error !== undefined) ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  say(`bench failed: ${(e as Error).stack ?? e}`);
} finally {
  say('\nstopping everything the bench started');
  await stopEverything();
}
process.exit(code);
