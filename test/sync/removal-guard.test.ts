import { describe, expect, it } from 'vitest';
import type { ServiceDocument } from '../../shared/schema/snapshot.ts';
import { createRemovalGuard } from '../../sync/build/removal-guard.ts';
import { runCli } from '../../dev/cli.ts';
import { createTestEnv } from '../helpers/env.ts';

const doc = (ids: string[]): ServiceDocument => ({
  name: 'api',
  config: { lb: 'weighted_random', weights: {}, timeoutMs: 10_000, retries: 1 },
  instances: Object.fromEntries(ids.map((id) => [id, { url: `http://127.0.0.1:1/${id}`, weight: 100 }])),
});

describe('mass-removal guard (pure)', () => {
  it.each([
    ['removing 1 of 3', ['a', 'b', 'c'], ['a', 'b'], false],
    ['removing 2 of 4 (exactly half)', ['a', 'b', 'c', 'd'], ['a', 'b'], false],
    ['removing 2 of 3', ['a', 'b', 'c'], ['a'], true],
    ['removing the last one', ['a'], [], true],
    ['removing all of them', ['a', 'b'], [], true],
    ['replacing 3 with 3 new ones', ['a', 'b', 'c'], ['x', 'y', 'z'], true],
    ['adding instances', ['a'], ['a', 'b'], false],
  ])('%s is held: %s', (_label, before, after, held) => {
    let t = 0;
    const guard = createRemovalGuard({ holdDownMs: 30_000, now: () => t });
    const r = guard.apply(new Map([['api', doc(after)]]), new Map([['api', doc(before)]]));
    const ids = Object.keys(r.docs.get('api')!.instances).sort();
    expect(ids).toEqual(held ? [...new Set([...before, ...after])].sort() : [...after].sort());
    expect(guard.holds().length).toBe(held ? 1 : 0);
    t = 30_000;
    const later = guard.apply(new Map([['api', doc(after)]]), new Map([['api', doc(before)]]));
    expect(Object.keys(later.docs.get('api')!.instances).sort()).toEqual([...after].sort());
  });

  it('keeps a vanished service whole until the hold-down ends, and release lets it go at once', () => {
    const guard = createRemovalGuard({ holdDownMs: 30_000, now: () => 0 });
    expect(guard.apply(new Map(), new Map([['api', doc(['a', 'b'])]])).docs.get('api')).toEqual(doc(['a', 'b']));
    guard.release();
    expect(guard.apply(new Map(), new Map([['api', doc(['a', 'b'])]])).docs.has('api')).toBe(false);
  });
});

describe('mass-removal guard in the daemon', () => {
  it('holds back removing 2 of 3 instances, still publishes other changes, shows it, and releases on command', async () => {
    const env = await createTestEnv();
    for (const id of ['i-1', 'i-2', 'i-3']) await env.write(env.paths.instance('api', id), { url: 'http://127.0.0.1:9001' });
    const d = await env.startDaemon();
    const first = await d.waitPublished();
    await env.zk.remove(env.paths.instance('api', 'i-2'));
    await env.zk.remove(env.paths.instance('api', 'i-3'));
    await env.write(env.paths.configKey('note'), '"other change"');
    const second = await d.waitPublished((m) => m.version > first.version && m.config.note === 'other change');
    expect(Object.keys((await env.documentOf(second.services.api!)).instances).sort()).toEqual(['i-1', 'i-2', 'i-3']);

    const vars = { ZKEDGE_ZK: env.zkConnect, ZKEDGE_ROOT: env.root };
    const status = await runCli(['guard', 'status'], vars);
    expect(status.stdout).toMatch(/api: holding 2 of 3 instances \(i-2, i-3\)/);
    expect((await runCli(['guard', 'release'], vars)).code).toBe(0);
    const third = await d.waitPublished((m) => m.version > second.version);
    expect(Object.keys((await env.documentOf(third.services.api!)).instances)).toEqual(['i-1']);
    expect((await runCli(['guard', 'status'], vars)).stdout).toMatch(/no removal held/);
  });

  it('publishes a removal that persists past the hold-down', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('api', 'only'), { url: 'http://127.0.0.1:9001' });
    const d = await env.startDaemon({ holdDownMs: 300 });
    const first = await d.waitPublished();
    await env.zk.remove(env.paths.instance('api', 'only'));
    const next = await d.waitPublished((m) => m.version > first.version);
    expect((await env.documentOf(next.services.api!)).instances).toEqual({});
  });
});
