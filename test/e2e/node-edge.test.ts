import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { waitFor } from '../../dev/wait.ts';
import { silentLogger } from '../../shared/log.ts';
import { startNodeEdge, type NodeEdge } from '../../edge/node.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { rawRequest } from '../helpers/raw-http.ts';

async function countHits(edgeUrl: string, n: number, concurrency = 16): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let sent = 0;
  const worker = async () => {
    while (sent < n) {
      sent++;
      const res = await fetch(`${edgeUrl}/hello`, { headers: { host: 'demo.local' } });
      const backend = res.headers.get('x-backend') ?? `status-${res.status}`;
      await res.arrayBuffer();
      counts[backend] = (counts[backend] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

describe('Node edge end to end (ZooKeeper → daemon → Redis → edge → backends)', () => {
  let env: TestEnv;
  let backends: Backend[];
  let edge: NodeEdge;
  let edgeUrl: string;
  const versionOf = async () => Number((await fetch(`${edgeUrl}/_zkedge/health`)).headers.get('x-zkedge-version'));

  beforeAll(async () => {
    backends = await Promise.all(['b1', 'b2', 'b3'].map((id) => startBackend(id)));
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  it('splits 3,000 requests 10/20/70 by weight, then follows a weight change', async () => {
    env = await createTestEnv();
    const weights = [1, 2, 7];
    for (const [i, b] of backends.entries()) await env.write(env.paths.instance('web', b.id), { url: b.url, weight: weights[i] });
    await env.write(env.paths.route('all'), { host: '*', service: 'web' });
    const d = await env.startDaemon();
    const first = await d.waitPublished();
    edge = await startNodeEdge({ redisUrl: env.redisUrl, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 1_000, staleAfterMs: 60_000, log: silentLogger });
    env.onClose(() => edge.close());
    edgeUrl = `http://127.0.0.1:${edge.port}`;
    await waitFor('the edge to load the first snapshot', async () => (await versionOf()) === first.version);

    const counts = await countHits(edgeUrl, 3_000);
    for (const [id, share] of [['b1', 0.1], ['b2', 0.2], ['b3', 0.7]] as const) {
      expect(Math.abs((counts[id] ?? 0) / 3_000 - share)).toBeLessThanOrEqual(0.03);
    }

    await env.write(env.paths.service('web'), { weights: { b3: 0 } });
    const second = await d.waitPublished((m) => m.version > first.version);
    await waitFor('the edge to serve the new version', async () => (await versionOf()) === second.version);
    const after = await countHits(edgeUrl, 300);
    expect(after.b3 ?? 0).toBe(0);
    expect((after.b1 ?? 0) + (after.b2 ?? 0)).toBe(300);
  });

  it('proxies method, path, query and body, and sets forwarding headers without hop-by-hop ones', async () => {
    env = await createTestEnv();
    const b = backends[0]!;
    await env.write(env.paths.instance('echo', 'e1'), { url: `${b.url}/base` });
    await env.write(env.paths.route('api'), { host: 'api.example.com', pathPrefix: '/v1', service: 'echo', stripPrefix: true });
    const d = await env.startDaemon();
    const m = await d.waitPublished();
    edge = await startNodeEdge({ redisUrl: env.redisUrl, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 1_000, staleAfterMs: 60_000, log: silentLogger });
    env.onClose(() => edge.close());
    edgeUrl = `http://127.0.0.1:${edge.port}`;
    await waitFor('the edge to load', async () => (await versionOf()) === m.version);

    const res = await rawRequest(edge.port, {
      method: 'POST',
      path: '/v1/users/7?x=1',
      headers: { host: 'API.example.com:8080', 'content-type': 'text/plain', connection: 'x-secret', 'x-secret': 'drop me', 'x-keep': 'yes' },
      body: 'payload',
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-zkedge-version']).toBe(String(m.version));
    const echoed = JSON.parse(res.body) as { path: string; method: string; body: string; headers: Record<string, string> };
    expect(echoed.method).toBe('POST');
    expect(echoed.path).toBe('/base/users/7?x=1');
    expect(echoed.body).toBe('payload');
    expect(echoed.headers['x-keep']).toBe('yes');
    expect(echoed.headers['x-secret']).toBeUndefined();
    expect(echoed.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echoed.headers['x-forwarded-host']).toBe('api.example.com:8080'); // the host the route matched, normalised
    expect(echoed.headers['x-forwarded-proto']).toBe('http');

    const none = await fetch(`${edgeUrl}/v2/users`, { headers: { host: 'api.example.com' } });
    expect(none.status).toBe(404);
    expect(await none.json()).toEqual({ error: { code: 'no_route', message: expect.stringContaining('/v2/users') } });
    expect(none.headers.get('x-zkedge-version')).toBe(String(m.version));

    const internal = await fetch(`${edgeUrl}/_zkedge/anything`, { headers: { host: 'api.example.com' } });
    expect(internal.status).toBe(404);
    expect(((await internal.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});
