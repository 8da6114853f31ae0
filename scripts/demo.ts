// `npm run demo`: the whole plane on loopback — ZooKeeper, Redis, the sync daemon, the Node edge and
// three backends registered with weights 1:2:7 — then routed traffic before and after a weight change.
import { startBackend, type Backend } from '../dev/backend.ts';
import { runCli, startCli } from '../dev/cli.ts';
import { freePort } from '../dev/ports.ts';
import type { Owned } from '../dev/process.ts';
import { startRedis, startZooKeeper, type Server } from '../dev/servers.ts';
import { waitFor } from '../dev/wait.ts';

const once = process.argv.includes('--once');
const stops: Array<() => Promise<void>> = [];
let failureContext: () => string = () => '';
const say = (line: string) => process.stdout.write(`${line}\n`);

async function send(edgeUrl: string, n: number): Promise<{ counts: Map<string, number>; version: string }> {
  const counts = new Map<string, number>();
  let version = '';
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      const res = await fetch(`${edgeUrl}/hello`, { headers: { host: 'demo.local' } });
      await res.arrayBuffer();
      version = res.headers.get('x-zkedge-version') ?? version;
      const who = res.headers.get('x-backend') ?? `error ${res.status}`;
      counts.set(who, (counts.get(who) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  return { counts, version };
}

function printSplit(title: string, r: { counts: Map<string, number>; version: string }, weights: Record<string, number>) {
  const total = [...r.counts.values()].reduce((a, b) => a + b, 0);
  const wsum = Object.values(weights).reduce((a, b) => a + b, 0);
  say(`\n${title} (snapshot version ${r.version}, ${total} requests)`);
  say('  backend  weight  expected  observed');
  for (const id of Object.keys(weights)) {
    const got = r.counts.get(id) ?? 0;
    say(`  ${id.padEnd(7)}  ${String(weights[id]).padStart(6)}  ${((100 * weights[id]!) / wsum).toFixed(1).padStart(7)}%  ${((100 * got) / total).toFixed(1).padStart(7)}%`);
  }
}

async function main() {
  say('zkedge demo: starting ZooKeeper and Redis on loopback…');
  const [zk, redis]: [Server, Server] = await Promise.all([startZooKeeper(), startRedis()]);
  stops.push(() => zk.stop(), () => redis.stop());
  const env = { ZKEDGE_ZK: zk.address, ZKEDGE_REDIS_URL: `redis://127.0.0.1:${redis.port}`, ZKEDGE_ROOT: '/zkedge', ZKEDGE_LOG_LEVEL: process.env.DEMO_LOG ?? 'warn' };
  say(`  ZooKeeper ${zk.address}, Redis ${env.ZKEDGE_REDIS_URL}`);

  const backends: Backend[] = await Promise.all(['b1', 'b2', 'b3'].map((id) => startBackend(id)));
  stops.push(...backends.map((b) => () => b.close()));
  const weights: Record<string, number> = { b1: 1, b2: 2, b3: 7 };
  const owned: Owned[] = [];
  stops.push(async () => void (await Promise.all(owned.map((p) => p.stop()))));
  const capacity: Record<string, number> = { b1: 200, b2: 300, b3: 600 };
  for (const b of backends) owned.push(startCli(['register', 'demo', b.id, '--url', b.url, '--weight', String(weights[b.id]), '--capacity-rps', String(capacity[b.id])], env));
  say('  three backends registered with `zkedge register` (weights 1:2:7, capacities 200/300/600 rps)');

  const route = await runCli(['route', 'set', 'demo', '--host', '*', '--path', '/', '--service', 'demo'], env);
  if (route.code !== 0) throw new Error(`route set failed: ${route.stderr}`);
  say('  route: zkedge route set demo --host "*" --path / --service demo');

  const sync = startCli(['sync'], env);
  owned.push(sync);
  const port = await freePort();
  const edgeProc = startCli(['edge', '--port', String(port)], env);
  owned.push(edgeProc);
  failureContext = () => `--- sync output ---\n${sync.output().slice(-3000)}\n--- edge output ---\n${edgeProc.output().slice(-3000)}`;
  const edgeUrl = `http://127.0.0.1:${port}`;
  say(`  sync daemon and Node edge started; edge at ${edgeUrl}`);
  await waitFor(
    'the edge to route to all three backends',
    async () => {
      const h = await fetch(`${edgeUrl}/_zkedge/health`).catch(() => undefined);
      if (h?.status !== 200) return false;
      const v = (await h.json()) as { version: number };
      return v.version > 0;
    },
    60_000,
    100,
  );
  // registrations arrive one by one: wait until the published snapshot holds all three
  await waitFor('all three registrations', async () => (await send(edgeUrl, 60)).counts.size === 3, 30_000, 100);

  printSplit('Traffic split', await send(edgeUrl, 1_000), weights);

  say('\n$ zkedge weight demo b1 7');
  // read the version first: the change reaches the edge in milliseconds, before the CLI process exits
  const before = (await fetch(`${edgeUrl}/_zkedge/health`).then((r) => r.json())) as { version: number };
  const w = await runCli(['weight', 'demo', 'b1', '7'], env);
  if (w.code !== 0) throw new Error(`weight failed: ${w.stderr}`);
  weights.b1 = 7;
  await waitFor('the edge to serve the new version', async () => ((await fetch(`${edgeUrl}/_zkedge/health`).then((r) => r.json())) as { version: number }).version > before.version, 30_000, 20);
  printSplit('Traffic split after the weight change', await send(edgeUrl, 1_000), weights);

  say('\n$ zkedge plan --rps 800');
  const plan = await runCli(['plan', '--rps', '800'], env);
  say(plan.stdout.trimEnd());

  if (once) return;
  say(`\nThe plane keeps running. Try:\n  curl -s ${edgeUrl}/anything -H 'host: demo.local'\n  ZKEDGE_ZK=${zk.address} npx zkedge weight demo b3 0\n  ZKEDGE_REDIS_URL=${env.ZKEDGE_REDIS_URL} npx zkedge snapshot list\nPress Ctrl-C to stop everything.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  process.stderr.write(`demo failed: ${(e as Error).message}\n${failureContext()}\n`);
  exitCode = 1;
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  say('stopped everything the demo started.');
}
process.exit(exitCode);
