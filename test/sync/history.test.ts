import { describe, expect, it } from 'vitest';
import { runCli } from '../../dev/cli.ts';
import { waitFor } from '../../dev/wait.ts';
import { diffSnapshots, formatDiff } from '../../sync/history/diff-snapshots.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';

const cliEnv = (env: TestEnv) => ({ ZKEDGE_ZK: env.zkConnect, ZKEDGE_REDIS_URL: env.redisUrl, ZKEDGE_ROOT: env.root, ZKEDGE_REDIS_PREFIX: env.prefix });

describe('history, diff, rollback, pin', () => {
  it('diffs a known change: instances, weights, split shares moved', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('v1', 'a'), { url: 'http://127.0.0.1:9001' });
    await env.write(env.paths.instance('v1', 'b'), { url: 'http://127.0.0.1:9002' });
    await env.write(env.paths.instance('v2', 'c'), { url: 'http://127.0.0.1:9003' });
    await env.write(env.paths.route('main'), { host: '*', split: [{ service: 'v1', weight: 95 }, { service: 'v2', weight: 5 }] });
    const d = await env.startDaemon();
    const first = await d.waitPublished();
    await env.write(env.paths.route('main'), { host: '*', split: [{ service: 'v1', weight: 50 }, { service: 'v2', weight: 50 }] });
    await env.write(env.paths.service('v1'), { weights: { b: 300 } });
    await env.write(env.paths.instance('v2', 'd'), { url: 'http://127.0.0.1:9004' });
    const last = await d.waitPublished((m) => m.routes.main?.split[0]?.weight === 50 && Object.keys(m.services).length === 2 && m.services.v1 !== first.services.v1 && m.services.v2 !== first.services.v2);

    const r = await runCli(['snapshot', 'diff', String(first.version), String(last.version)], cliEnv(env));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`diff ${first.version} → ${last.version}`);
    expect(r.stdout).toContain('+ instance v2/d (weight 100)');
    expect(r.stdout).toContain('~ weight v1/b: 100 → 300');
    expect(r.stdout).toContain('service v1: 25% of its traffic moves between instances');
    expect(r.stdout).toContain('~ route main: v1=95,v2=5 → v1=50,v2=50 (45% of its traffic moves)');

    const list = await runCli(['snapshot', 'list'], cliEnv(env));
    expect(list.stdout.split('\n')[0]).toMatch(new RegExp(`^\\* +${last.version} `));
    const show = JSON.parse((await runCli(['snapshot', 'show', String(first.version)], cliEnv(env))).stdout);
    expect(show.services.v1.instances.a.url).toBe('http://127.0.0.1:9001');
  });

  it('rollback pins current, keeps new changes pending, survives a daemon restart; unpin makes the newest current', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('api', 'a'), { url: 'http://127.0.0.1:9001', weight: 1 });
    const d1 = await env.startDaemon();
    const v1 = await d1.waitPublished();
    await env.write(env.paths.instance('api', 'a'), { url: 'http://127.0.0.1:9001', weight: 2 });
    const v2 = await d1.waitPublished((m) => m.version > v1.version);
    const current = async () => Number(await env.redis.get(`${env.prefix}current`));

    expect((await runCli(['rollback', String(v1.version)], cliEnv(env))).code).toBe(0);
    await waitFor('current to move back to the pinned version', async () => (await current()) === v1.version);

    await env.write(env.paths.instance('api', 'a'), { url: 'http://127.0.0.1:9001', weight: 3 });
    const v3 = await d1.waitPublished((m) => m.version > v2.version);
    expect(await current()).toBe(v1.version);
    expect((await runCli(['snapshot', 'list'], cliEnv(env))).stdout).toMatch(new RegExp(`${v3.version} .*\\[pending\\]`));

    await d1.daemon.stop();
    const d2 = await env.startDaemon();
    await env.write(env.paths.instance('api', 'a'), { url: 'http://127.0.0.1:9001', weight: 4 });
    const v4 = await d2.waitPublished((m) => m.version > v3.version);
    expect(await current()).toBe(v1.version);

    expect((await runCli(['unpin'], cliEnv(env))).code).toBe(0);
    await waitFor('the newest version to become current', async () => (await current()) === v4.version);
  });

  it('refuses to pin a version the store does not hold', async () => {
    const env = await createTestEnv();
    const r = await runCli(['rollback', '999999'], cliEnv(env));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/version 999999 is not in the store/);
  });

  it('formats an empty diff as no change', () => {
    const m = { schema: 1 as const, version: 1, hash: 'x', createdAt: '', source: { zxid: '0x1' }, services: {}, routes: {}, config: {} };
    expect(formatDiff(diffSnapshots({ manifest: m, docs: new Map() }, { manifest: { ...m, version: 2 }, docs: new Map() }))).toContain('(no change)');
  });
});
