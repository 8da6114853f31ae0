import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis, type Server } from '../../dev/servers.ts';
import { waitFor } from '../../dev/wait.ts';
import { createTestEnv } from '../helpers/env.ts';

// This test empties and restarts Redis, so it runs its own server.
describe('Redis faults', () => {
  let redis: Server;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('brings current back within seconds after Redis is flushed, and after a restart with no data', async () => {
    const env = await createTestEnv();
    const url = `redis://127.0.0.1:${redis.port}`;
    const client = new Redis(url, { maxRetriesPerRequest: null });
    env.onClose(async () => client.disconnect());
    await env.write(env.paths.instance('api', 'i-1'), { url: 'http://127.0.0.1:9001' });
    const d = await env.startDaemon({ redisUrl: url });
    const first = await d.waitPublished();

    await client.flushall();
    await waitFor('current to be republished after FLUSHALL', async () => Number(await client.get(`${env.prefix}current`)) === first.version, 10_000);
    const manifest = JSON.parse((await client.get(`${env.prefix}snapshot:${first.version}`))!);
    expect(await client.get(`${env.prefix}service:${manifest.services.api}`)).not.toBeNull();

    await client.del(`${env.prefix}current`); // only `current` lost (evicted, deleted by hand)
    await waitFor('current to be restored', async () => Number(await client.get(`${env.prefix}current`)) === first.version, 10_000);

    await redis.stop();
    redis = await startRedis({ port: redis.port });
    await waitFor('current to be republished after a restart', async () => Number(await client.get(`${env.prefix}current`)) === first.version, 15_000);
    // and changes still publish, with versions above the ones before
    await env.write(env.paths.instance('api', 'i-2'), { url: 'http://127.0.0.1:9002' });
    const next = await d.waitPublished((m) => m.version > first.version, 15_000);
    expect(Number(await client.get(`${env.prefix}current`))).toBe(next.version);
  });
});
