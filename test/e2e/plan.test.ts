import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { runCli } from '../../dev/cli.ts';
import { waitFor } from '../../dev/wait.ts';
import { startNodeEdge } from '../../edge/node.ts';
import { silentLogger } from '../../shared/log.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { rawRequest } from '../helpers/raw-http.ts';

const cliEnv = (env: TestEnv) => ({ ZKEDGE_ZK: env.zkConnect, ZKEDGE_REDIS_URL: env.redisUrl, ZKEDGE_ROOT: env.root, ZKEDGE_REDIS_PREFIX: env.prefix });

describe('zkedge plan', () => {
  let backends: Backend[];
  beforeAll(async () => {
    backends = await Promise.all(['e1', 'e2', 'u1'].map((id) => startBackend(id)));
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  it('projects the same per-instance shares the edge really sends (weights and zone preference)', async () => {
    const env = await createTestEnv();
    const [e1, e2, u1] = backends as [Backend, Backend, Backend];
    await env.write(env.paths.instance('api', 'e1'), { url: e1.url, weight: 100, zone: 'eu', capacityRps: 1000 });
    await env.write(env.paths.instance('api', 'e2'), { url: e2.url, weight: 300, zone: 'eu', capacityRps: 1000 });
    await env.write(env.paths.instance('api', 'u1'), { url: u1.url, weight: 100, zone: 'us', capacityRps: 1000 });
    await env.write(env.paths.instance('web', 'w1'), { url: u1.url, capacityRps: 1000 });
    await env.write(env.paths.route('api'), { host: 'api.test', split: [{ service: 'api', weight: 3 }, { service: 'web', weight: 1 }] });
    const d = await env.startDaemon();
    const m = await d.waitPublished((x) => x.routes.api !== undefined);
    const edge = await startNodeEdge({ redisUrl: env.redisUrl, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 1_000, staleAfterMs: 60_000, zone: 'eu', log: silentLogger });
    env.onClose(() => edge.close());
    await waitFor('the edge to load', () => edge.cache.current()?.version === m.version);

    const r = await runCli(['plan', '--rps', '400', '--edge-zones', 'eu=1', '--json'], cliEnv(env));
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { services: Array<{ service: string; instances: Array<{ id: string; rps: number }> }> };
    const projected = new Map<string, number>();
    for (const s of plan.services) for (const i of s.instances) projected.set(i.id === 'w1' ? 'u1' : i.id, (projected.get(i.id === 'w1' ? 'u1' : i.id) ?? 0) + i.rps / 400);

    const n = 2_000;
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const res = await rawRequest(edge.port, { path: '/x', headers: { host: 'api.test' } });
      const who = String(res.headers['x-backend']);
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
    for (const id of ['e1', 'e2', 'u1']) expect(Math.abs((seen.get(id) ?? 0) / n - (projected.get(id) ?? 0))).toBeLessThan(0.03);
    // the projection itself: api 300 rps all in eu by 1:3, web 100 rps on w1
    expect(projected.get('e1')).toBeCloseTo(0.1875);
    expect(projected.get('e2')).toBeCloseTo(0.5625);
    expect(projected.get('u1')).toBeCloseTo(0.25);
  });

  it('prints a table, exits 3 when an instance is over target, and reports zone loss', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('api', 'a'), { url: 'http://127.0.0.1:9001', zone: 'eu', capacityRps: 100 });
    await env.write(env.paths.instance('api', 'b'), { url: 'http://127.0.0.1:9002', zone: 'us', capacityRps: 100 });
    await env.write(env.paths.route('main'), { host: '*', service: 'api' });
    const d = await env.startDaemon();
    await d.waitPublished((x) => x.routes.main !== undefined);
    const ok = await runCli(['plan', '--rps', '120'], cliEnv(env));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('--rps 120 is shared equally by the 1 route(s)');
    expect(ok.stdout).toMatch(/api\s+a\s+eu\s+100\s+60\.0\s+100\s+60\.0%/);
    expect(ok.stdout).toMatch(/zone eu lost: max 120\.0%, over target: api\/b 120\.0%/);
    const over = await runCli(['plan', '--rps', '170'], cliEnv(env));
    expect(over.code).toBe(3);
    expect(over.stdout).toMatch(/85\.0%\s+OVER/);
  });

  it('flags at publish time a snapshot that puts an instance over capacity, and diff shows the utilisation change', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('api', 'a'), { url: 'http://127.0.0.1:9001', capacityRps: 100 });
    await env.write(env.paths.instance('api', 'b'), { url: 'http://127.0.0.1:9002', capacityRps: 100 });
    await env.write(env.paths.route('main'), { host: '*', service: 'api' });
    const d = await env.startDaemon({ expectedRps: 150 });
    const first = await d.waitPublished((x) => x.routes.main !== undefined);
    expect(d.daemon.status().capacity).toEqual({ version: first.version, expectedRps: 150, overCapacity: [] });
    await env.write(env.paths.service('api'), { weights: { a: 300 } });
    const second = await d.waitPublished((x) => x.version > first.version);
    expect(d.daemon.status().capacity?.overCapacity).toEqual([{ service: 'api', id: 'a', rps: 112.5, capacityRps: 100, util: 1.125 }]);
    const diff = await runCli(['snapshot', 'diff', String(first.version), String(second.version), '--rps', '150'], cliEnv(env));
    expect(diff.stdout).toContain('~ weight api/a: 100 → 300');
    expect(diff.stdout).toContain('api/a: 75.0% → 112.5%  OVER CAPACITY');
    expect(diff.stdout).toContain('api/b: 75.0% → 37.5%');
  });

  it.each([
    [['plan', '--rps', '-5'], /--rps: expected requests per second ≥ 0/],
    [['plan', '--rps', '10', '--route-rps', 'nope=5'], /unknown route "nope"/],
    [['plan', '--rps', '10', '--target-util', '1.5'], /--target-util: expected at most 1/],
    [['plan', '--rps', '10', '--version', '424242'], /version 424242 is not in the store/],
  ])('exits 2 with a clear message for %j', async (args, message) => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('api', 'a'), { url: 'http://127.0.0.1:9001' });
    await env.write(env.paths.route('main'), { host: '*', service: 'api' });
    const d = await env.startDaemon();
    await d.waitPublished((x) => x.routes.main !== undefined);
    const r = await runCli(args, cliEnv(env));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 when there is no snapshot yet', async () => {
    const env = await createTestEnv();
    const r = await runCli(['plan', '--rps', '10'], cliEnv(env));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no snapshot/);
  });
});
