import { describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { waitFor } from '../../dev/wait.ts';

async function seedThree(env: TestEnv) {
  await env.write(env.paths.service('api'), '');
  await env.write(env.paths.instance('api', 'i-1'), { url: 'http://127.0.0.1:9001', weight: 10, zone: 'eu-west' });
  await env.write(env.paths.instance('api', 'i-2'), { url: 'http://127.0.0.1:9002', weight: 20 });
  await env.write(env.paths.instance('api', 'i-3'), { url: 'http://127.0.0.1:9003' });
  await env.write(env.paths.route('main'), { host: '*', service: 'api' });
}

describe('sync daemon on real ZooKeeper and Redis', () => {
  it('publishes three registered instances with their weights', async () => {
    const env = await createTestEnv();
    await seedThree(env);
    const d = await env.startDaemon();
    const published = await d.waitPublished();
    expect(Number(await env.redis.get(`${env.prefix}current`))).toBe(published.version);
    const manifest = await env.manifestOf(published.version);
    expect(manifest).toEqual(published);
    const doc = await env.documentOf(manifest.services.api!);
    expect(doc.instances).toEqual({
      'i-1': { url: 'http://127.0.0.1:9001', weight: 10, zone: 'eu-west' },
      'i-2': { url: 'http://127.0.0.1:9002', weight: 20 },
      'i-3': { url: 'http://127.0.0.1:9003', weight: 100 },
    });
    expect(manifest.routes.main).toEqual({ host: '*', pathPrefix: '/', split: [{ service: 'api', weight: 1 }], stripPrefix: false });
    expect(await env.redis.zrange(`${env.prefix}history`, '0', '-1')).toEqual([String(published.version)]);
  });

  it('makes a new version for a weight change, with the override as effective weight', async () => {
    const env = await createTestEnv();
    await seedThree(env);
    const d = await env.startDaemon();
    const first = await d.waitPublished();
    await env.write(env.paths.service('api'), { weights: { 'i-3': 0 } });
    const second = await d.waitPublished((m) => m.version > first.version);
    const doc = await env.documentOf(second.services.api!);
    expect(doc.instances['i-3'].weight).toBe(0);
    expect(second.hash).not.toBe(first.hash);
    expect(Number(await env.redis.get(`${env.prefix}current`))).toBe(second.version);
  });

  it('leaves out a node holding {not json, reports it with its path, and publishes the rest', async () => {
    const env = await createTestEnv();
    await seedThree(env);
    await env.write(env.paths.instance('api', 'bad'), '{not json');
    const d = await env.startDaemon();
    const published = await d.waitPublished();
    const report = await d.waitReport((r) => r.path === env.paths.instance('api', 'bad'));
    expect(report.reason).toMatch(/invalid JSON.*left out/);
    const doc = await env.documentOf(published.services.api!);
    expect(Object.keys(doc.instances).sort()).toEqual(['i-1', 'i-2', 'i-3']);
  });

  it('keeps the last good value of a node whose data turns invalid', async () => {
    const env = await createTestEnv();
    await seedThree(env);
    await env.write(env.paths.service('api'), { weights: { 'i-1': 0 } });
    const d = await env.startDaemon();
    const first = await d.waitPublished();
    await env.write(env.paths.service('api'), { weights: { 'i-1': 'zero' } });
    await d.waitReport((r) => r.path === env.paths.service('api') && /kept its last good value/.test(r.reason));
    // a valid change elsewhere still publishes, and the drain of i-1 holds
    await env.write(env.paths.instance('api', 'i-4'), { url: 'http://127.0.0.1:9004' });
    const second = await d.waitPublished((m) => m.version > first.version);
    const doc = await env.documentOf(second.services.api!);
    expect(doc.instances['i-1'].weight).toBe(0);
    expect(doc.instances['i-4']).toBeDefined();
  });

  it('republishes nothing when nothing changed, also across a daemon restart', async () => {
    const env = await createTestEnv();
    await seedThree(env);
    const d1 = await env.startDaemon();
    const first = await d1.waitPublished();
    // rewriting the same bytes fires watches but changes no content
    await env.write(env.paths.instance('api', 'i-2'), { url: 'http://127.0.0.1:9002', weight: 20 });
    await d1.daemon.stop();
    const d2 = await env.startDaemon();
    await env.write(env.paths.configKey('banner'), '"hello"');
    const next = await d2.waitPublished();
    expect(next.version).toBeGreaterThan(first.version); // a stopped daemon may leave a gap, never a reuse
    expect(next.config).toEqual({ banner: 'hello' });
    expect(await env.redis.zcard(`${env.prefix}history`)).toBe(2);
  });

  it('writes one new service document for one weight change and shares the others', async () => {
    const env = await createTestEnv();
    for (const s of ['a', 'b', 'c']) await env.write(env.paths.instance(s, 'i-1'), { url: `http://127.0.0.1:9100` });
    const d = await env.startDaemon();
    const first = await d.waitPublished((m) => Object.keys(m.services).length === 3);
    const docsBefore = await env.redis.keys(`${env.prefix}service:*`);
    await env.write(env.paths.service('b'), { weights: { 'i-1': 5 } });
    const second = await d.waitPublished((m) => m.version > first.version);
    const docsAfter = await env.redis.keys(`${env.prefix}service:*`);
    expect(docsAfter.length).toBe(docsBefore.length + 1);
    expect(second.services.a).toBe(first.services.a);
    expect(second.services.c).toBe(first.services.c);
    expect(second.services.b).not.toBe(first.services.b);
  });

  it('keeps versions increasing when the store loses its data', async () => {
    const env = await createTestEnv();
    await seedThree(env);
    const d1 = await env.startDaemon();
    const first = await d1.waitPublished();
    await d1.daemon.stop();
    const keys = await env.redis.keys(`${env.prefix}*`);
    await env.redis.del(...keys);
    const d2 = await env.startDaemon();
    const next = await d2.waitPublished();
    expect(next.version).toBeGreaterThan(first.version);
  });
});

describe('history retention', () => {
  it('keeps the last N versions and deletes the documents only trimmed versions referenced; a pinned version stays', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('a', 'i-1'), { url: 'http://127.0.0.1:9001', weight: 1 });
    await env.write(env.paths.instance('b', 'i-1'), { url: 'http://127.0.0.1:9002' });
    const d = await env.startDaemon({ keepVersions: 3 });
    let last = await d.waitPublished();
    const first = last;
    for (let w = 2; w <= 6; w++) {
      await env.write(env.paths.instance('a', 'i-1'), { url: 'http://127.0.0.1:9001', weight: w });
      last = await d.waitPublished((m) => m.version > last.version);
    }
    const history = (await env.redis.zrange(`${env.prefix}history`, '0', '-1')).map(Number);
    expect(history).toEqual([last.version - 2, last.version - 1, last.version]);
    const kept = await Promise.all(history.map((v) => env.manifestOf(v)));
    const referenced = new Set(kept.flatMap((m) => Object.values(m.services)));
    const stored = (await env.redis.keys(`${env.prefix}service:*`)).map((k) => k.slice(`${env.prefix}service:`.length));
    expect(new Set(stored)).toEqual(referenced); // a's 3 kept documents and b's one
    expect(await env.redis.get(`${env.prefix}snapshot:${first.version}`)).toBeNull();

    const pinned = history[0]!;
    await env.write(env.paths.pin, { version: pinned });
    await waitFor('current to move to the pin', async () => Number(await env.redis.get(`${env.prefix}current`)) === pinned);
    for (let w = 7; w <= 10; w++) {
      await env.write(env.paths.instance('a', 'i-1'), { url: 'http://127.0.0.1:9001', weight: w });
      last = await d.waitPublished((m) => m.version > last.version);
    }
    expect(await env.manifestOf(pinned)).not.toBeNull();
    expect((await env.redis.zrange(`${env.prefix}history`, '0', '-1')).map(Number)).toContain(pinned);
  });
});
