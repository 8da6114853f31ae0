import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../../sync/publish/redis-store.ts';
import { waitFor } from '../../dev/wait.ts';
import { createTestEnv } from '../helpers/env.ts';

describe('leader election and fencing', () => {
  it('lets only the leader publish; when it stops the other takes over and publishes the next change', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('api', 'i-1'), { url: 'http://127.0.0.1:9001' });
    const a = await env.startDaemon();
    const first = await a.waitPublished();
    const b = await env.startDaemon();
    await waitFor('b to join the election as follower', () => b.daemon.status().zookeeper === 'connected' && !b.daemon.status().leader);
    expect(a.daemon.status().leader).toBe(true);

    await env.write(env.paths.instance('api', 'i-2'), { url: 'http://127.0.0.1:9002' });
    const second = await a.waitPublished((m) => m.version > first.version);
    expect(b.published).toEqual([]);

    const epochA = a.daemon.status().epoch!;
    await a.daemon.stop();
    await waitFor('b to be elected', () => b.daemon.status().leader);
    expect(b.daemon.status().epoch!).toBeGreaterThan(epochA);
    await env.write(env.paths.instance('api', 'i-3'), { url: 'http://127.0.0.1:9003' });
    const third = await b.waitPublished((m) => Object.keys(m.services).length === 1 && m.version > second.version);
    expect(Number(await env.redis.get(`${env.prefix}current`))).toBe(third.version);
  });

  it("refuses a deposed leader's late publish: a lower epoch, or a version not above the highest", async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('api', 'i-1'), { url: 'http://127.0.0.1:9001' });
    const a = await env.startDaemon();
    const published = await a.waitPublished();
    const epoch = a.daemon.status().epoch!;
    const store = createRedisStore({ url: env.redisUrl, prefix: env.prefix, keepVersions: 100 });
    env.onClose(() => store.close());
    const stale = await store.publish({ manifest: { ...published, version: published.version + 1 }, documents: new Map(), epoch: epoch - 1, makeCurrent: true });
    expect(stale.ok).toBe(false);
    if (!stale.ok) expect(stale.error.code).toBe('fenced');
    const old = await store.publish({ manifest: published, documents: new Map(), epoch, makeCurrent: true });
    expect(old.ok).toBe(false);
    if (!old.ok) expect(old.error.message).toMatch(/not above the highest/);
    expect(Number(await env.redis.get(`${env.prefix}current`))).toBe(published.version);
  });
});
