import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { startRedis, type Server } from '../../dev/servers.ts';
import { waitFor } from '../../dev/wait.ts';
import { startNodeEdge } from '../../edge/node.ts';
import { silentLogger } from '../../shared/log.ts';
import { createTestEnv } from '../helpers/env.ts';

// Stops and empties Redis, so it runs its own.
describe('Node edge freshness when the store fails or lies', () => {
  let redis: Server;
  let backend: Backend;
  beforeAll(async () => {
    [redis, backend] = await Promise.all([startRedis(), startBackend('fresh')]);
  });
  afterAll(async () => {
    await Promise.all([redis.stop(), backend.close()]);
  });

  it('keeps serving its last good snapshot while Redis is down, says "stale", and recovers', async () => {
    const env = await createTestEnv();
    const url = `redis://127.0.0.1:${redis.port}`;
    await env.write(env.paths.instance('api', 'a'), { url: backend.url });
    await env.write(env.paths.route('all'), { host: '*', service: 'api' });
    const d = await env.startDaemon({ redisUrl: url });
    const first = await d.waitPublished((m) => m.routes.all !== undefined);
    const edge = await startNodeEdge({ redisUrl: url, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 100, staleAfterMs: 500, log: silentLogger });
    env.onClose(() => edge.close());
    const health = async () => (await (await fetch(`http://127.0.0.1:${edge.port}/_zkedge/health`)).json()) as { status: string; version: number };
    await waitFor('the edge to load', async () => (await health()).version === first.version);

    await redis.stop();
    await waitFor('health to say stale', async () => (await health()).status === 'stale', 10_000);
    const res = await fetch(`http://127.0.0.1:${edge.port}/x`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-zkedge-version')).toBe(String(first.version));
    const status = (await (await fetch(`http://127.0.0.1:${edge.port}/_zkedge/status`)).json()) as { lastError: string; ageMs: number };
    expect(status.lastError).toMatch(/store unreachable/);
    expect(status.ageMs).toBeGreaterThan(500);

    redis = await startRedis({ port: redis.port }); // empty: the daemon republishes
    await waitFor('health to be ok again', async () => (await health()).status === 'ok', 20_000);
  });

  it('refuses a snapshot whose hash does not match and keeps serving the previous one', async () => {
    const env = await createTestEnv();
    const url = `redis://127.0.0.1:${redis.port}`;
    const client = new Redis(url);
    env.onClose(async () => client.disconnect());
    await env.write(env.paths.instance('api', 'a'), { url: backend.url });
    await env.write(env.paths.route('all'), { host: '*', service: 'api' });
    const d = await env.startDaemon({ redisUrl: url });
    const first = await d.waitPublished((m) => m.routes.all !== undefined);
    const edge = await startNodeEdge({ redisUrl: url, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 100, staleAfterMs: 60_000, log: silentLogger });
    env.onClose(() => edge.close());
    await waitFor('the edge to load', () => edge.cache.current()?.version === first.version);

    // a forged version: same manifest, different routes, old hash
    const forged = { ...first, version: first.version + 1000, routes: { all: { ...first.routes.all!, host: 'evil.test' } } };
    await client.set(`${env.prefix}snapshot:${forged.version}`, JSON.stringify(forged));
    await client.set(`${env.prefix}current`, String(forged.version));
    await client.publish(`${env.prefix}events`, String(forged.version));
    await waitFor('the edge to refuse it', () => /root hash/.test(edge.cache.lastError() ?? ''));
    expect(edge.cache.current()?.version).toBe(first.version);
    expect((await fetch(`http://127.0.0.1:${edge.port}/x`)).status).toBe(200);
  });
});
