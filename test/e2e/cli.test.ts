import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { runCli, startCli } from '../../dev/cli.ts';
import { freePort } from '../../dev/ports.ts';
import { exitOf } from '../../dev/process.ts';
import { waitFor } from '../../dev/wait.ts';
import { createTestEnv } from '../helpers/env.ts';
import { rawRequest } from '../helpers/raw-http.ts';

describe('the zkedge CLI as operators run it', () => {
  let backends: Backend[];
  beforeAll(async () => {
    backends = await Promise.all(['c1', 'c2'].map((id) => startBackend(id)));
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
  });

  it('registers, routes, sets config and weights; sync and edge processes serve the result', async () => {
    const env = await createTestEnv();
    const vars = { ZKEDGE_ZK: env.zkConnect, ZKEDGE_REDIS_URL: env.redisUrl, ZKEDGE_ROOT: env.root, ZKEDGE_REDIS_PREFIX: env.prefix, ZKEDGE_LOG_LEVEL: 'warn' };
    const procs = [
      startCli(['register', 'shop', 'c1', '--url', backends[0]!.url, '--zone', 'eu-west'], vars),
      startCli(['register', 'shop', 'c2', '--url', backends[1]!.url, '--weight', '50'], vars),
    ];
    env.onClose(async () => void (await Promise.all(procs.map((p) => p.stop()))));
    await waitFor('both registrations', async () => (await env.zk.getChildren(env.paths.instances('shop'), false))?.children.length === 2, 20_000);

    expect((await runCli(['route', 'set', 'shop', '--host', 'shop.example.com', '--path', '/cart', '--split', 'shop=1'], vars)).code).toBe(0);
    expect((await runCli(['config', 'set', 'banner', '{"text":"sale"}'], vars)).code).toBe(0);
    const port = await freePort();
    const adminPort = await freePort();
    const edgeAdminPort = await freePort();
    procs.push(startCli(['sync', '--admin-port', String(adminPort)], vars), startCli(['edge', '--port', String(port), '--admin-port', String(edgeAdminPort)], vars));
    const edge = `http://127.0.0.1:${port}`;
    const version = async () => {
      const r = await fetch(`${edge}/_zkedge/health`).catch(() => undefined);
      return r?.status === 200 ? ((await r.json()) as { version: number }).version : 0;
    };
    const v1 = await waitFor('the edge to load a snapshot', async () => (await version()) || false, 30_000, 50);
    const manifest = await env.manifestOf(Number(await env.redis.get(`${env.prefix}current`)));
    expect(manifest.config.banner).toEqual({ text: 'sale' });
    const doc = await env.documentOf(manifest.services.shop!);
    expect(doc.instances.c1).toEqual({ url: backends[0]!.url, weight: 100, zone: 'eu-west' });

    const health = await waitFor('the daemon admin port', async () => {
      const r = await fetch(`http://127.0.0.1:${adminPort}/healthz`).catch(() => undefined);
      return r?.status === 200 ? ((await r.json()) as { leader: boolean; publishedVersion: number }) : undefined;
    });
    expect(health.leader).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    expect(metrics).toMatch(/^zkedge_sync_leader 1$/m);
    expect(metrics).toMatch(/^zkedge_sync_publishes_total\{store="redis"\} [1-9]/m);
    const res = await rawRequest(port, { path: '/cart/1', headers: { host: 'shop.example.com' } });
    expect(res.status).toBe(200);
    expect(['c1', 'c2']).toContain(res.headers['x-backend']);
    expect((await rawRequest(port, { path: '/cart/1', headers: { host: 'other.example.com' } })).status).toBe(404);

    expect((await runCli(['weight', 'shop', 'c1', '0'], vars)).code).toBe(0);
    await waitFor('the drained instance to be published', async () => (await version()) > v1, 20_000);
    for (let i = 0; i < 20; i++) {
      const r = await rawRequest(port, { path: `/cart/${i}`, headers: { host: 'shop.example.com' } });
      expect(r.headers['x-backend']).toBe('c2');
    }

    const edgeMetrics = await (await fetch(`http://127.0.0.1:${edgeAdminPort}/metrics`)).text();
    expect(edgeMetrics).toMatch(/^zkedge_edge_requests_total\{status="200"\} (2[0-9]|[3-9][0-9]|[1-9][0-9]{2,})$/m);
    expect(edgeMetrics).toMatch(/^zkedge_edge_requests_total\{status="404"\} 1$/m);
    expect(edgeMetrics).toMatch(new RegExp(`^zkedge_edge_snapshot_version ${await version()}$`, 'm'));

    // stopping a registration removes its ephemeral node at once
    await procs[1]!.stop();
    await waitFor('c2 to be gone', async () => (await env.zk.getChildren(env.paths.instances('shop'), false))?.children.join() === 'c1', 20_000);
  });

  it.each([
    [['weight', 'shop', 'c1', '-3'], /WEIGHT: expected an integer from 0 to 10000/],
    [['weight', 'sh op', 'c1', '3'], /SERVICE:/],
    [['route', 'set', 'r', '--host', 'a.example.com', '--split', 'a=x'], /--split: expected SERVICE=WEIGHT/],
    [['route', 'set', 'r', '--host', 'a.example.com:80', '--service', 'a'], /host:/],
    [['config', 'set', 'k', '{oops'], /invalid JSON/],
    [['register', 'shop', 'c9', '--url', 'http://127.0.0.1:1/?q=1'], /url:.*query/],
    [['edge', '--port', '99999'], /--port: expected at most 65535/],
    [['no-such-command'], /unknown command/],
  ])('exits 2 with a message naming the field for %j', async (args, message) => {
    const env = await createTestEnv();
    const r = await runCli(args, { ZKEDGE_ZK: env.zkConnect, ZKEDGE_REDIS_URL: env.redisUrl, ZKEDGE_ROOT: env.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 1 when ZooKeeper cannot be reached', async () => {
    const port = await freePort();
    const p = startCli(['weight', 'shop', 'c1', '5'], { ZKEDGE_ZK: `127.0.0.1:${port}`, ZKEDGE_CONNECT_TIMEOUT_MS: '1500' });
    expect(await exitOf(p)).toBe(1);
    expect(p.output()).toMatch(/not reachable/);
  });
});
