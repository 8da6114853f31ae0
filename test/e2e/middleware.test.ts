import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createSnapshotCache } from '../../edge/core/snapshot-cache.ts';
import { zkedge, type ZkedgeEnv } from '../../edge/middleware.ts';
import { createRedisSource } from '../../edge/sources/redis-source.ts';
import { silentLogger } from '../../shared/log.ts';
import { createTestEnv } from '../helpers/env.ts';

describe('zkedge() middleware in a user\'s own Hono app', () => {
  it('exposes snapshot.config and picks instances by the plane\'s rules', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.configKey('banner'), '{"text":"hello"}');
    await env.write(env.paths.instance('api', 'eu-1'), { url: 'http://127.0.0.1:9001', zone: 'eu' });
    await env.write(env.paths.instance('api', 'us-1'), { url: 'http://127.0.0.1:9002', zone: 'us' });
    const d = await env.startDaemon();
    const m = await d.waitPublished();
    const source = createRedisSource({ url: env.redisUrl, prefix: env.prefix });
    env.onClose(() => source.close());
    const cache = createSnapshotCache({ source, mode: 'eager', log: silentLogger });

    const app = new Hono<ZkedgeEnv>();
    app.use('*', zkedge({ cache, refresh: async () => void (await cache.refresh()), zone: 'eu' }));
    app.get('/banner', (c) => c.json(c.var.zkedge.config.banner));
    app.get('/where', async (c) => c.json(await c.var.zkedge.pick('api')));
    app.get('/nothing', async (c) => c.json((await c.var.zkedge.pick('missing')) ?? null));

    const banner = await app.request('/banner');
    expect(await banner.json()).toEqual({ text: 'hello' });
    expect(banner.headers.get('x-zkedge-version')).toBe(String(m.version));
    for (let i = 0; i < 20; i++) expect(await (await app.request('/where')).json()).toEqual({ id: 'eu-1', url: 'http://127.0.0.1:9001/', zone: 'eu' });
    expect(await (await app.request('/nothing')).json()).toBeNull();
  });

  it('answers 503 no_snapshot before any snapshot exists', async () => {
    const env = await createTestEnv();
    const source = createRedisSource({ url: env.redisUrl, prefix: env.prefix });
    env.onClose(() => source.close());
    const cache = createSnapshotCache({ source, mode: 'eager', log: silentLogger });
    const app = new Hono();
    app.use('*', zkedge({ cache, refresh: async () => void (await cache.refresh()) }));
    app.get('/x', (c) => c.text('never'));
    const res = await app.request('/x');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('no_snapshot');
  });
});
