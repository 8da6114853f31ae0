import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { freePort } from '../../dev/ports.ts';
import { canonicalJson } from '../../shared/snapshot/canonical-json.ts';
import type { ServiceDocument } from '../../shared/schema/snapshot.ts';
import { buildTestSnapshot, publishSnapshot, startWorker, type TestWorker } from '../helpers/worker.ts';

type Echo = { backend: string; path: string; method: string; body: string; headers: Record<string, string> };
type ErrorJson = { error: { code: string; message: string } };

const webOn = (version: number, backend: Backend, extra: Partial<Parameters<typeof buildTestSnapshot>[0]> = {}) =>
  buildTestSnapshot({
    version,
    services: { web: { instances: { [backend.id]: { url: backend.url } } } },
    routes: { all: { host: '*', service: 'web' } },
    ...extra,
  });

/** One routed GET: which backend answered and with which snapshot version. */
async function hit(w: TestWorker, path = '/hello'): Promise<{ status: number; backend: string | null; version: string | null }> {
  const res = await w.fetch(path);
  await res.arrayBuffer();
  return { status: res.status, backend: res.headers.get('x-backend'), version: res.headers.get('x-zkedge-version') };
}

describe('Workers edge in workerd (Miniflare, Workers KV, loopback backends)', () => {
  let b1: Backend;
  let b2: Backend;
  let evil: Backend;

  beforeAll(async () => {
    [b1, b2, evil] = await Promise.all([startBackend('b1'), startBackend('b2'), startBackend('evil')]);
  });
  afterAll(async () => {
    await Promise.all([b1, b2, evil].map((b) => b?.close()));
  });

  it('routes a request to the backend the snapshot in KV names and reports the version', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '0' });
    await publishSnapshot(w.kv, await webOn(1, b1));

    // (Miniflare's dispatchFetch replaces Connection with "close", so its named headers are not testable here.)
    const res = await w.fetch('/users/7?x=1', { headers: { 'cf-connecting-ip': '203.0.113.9', 'x-keep': 'yes', 'proxy-authorization': 'Basic eA==', 'keep-alive': 'timeout=5' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-backend')).toBe('b1');
    expect(res.headers.get('x-zkedge-version')).toBe('1');
    const echoed = (await res.json()) as Echo;
    expect(echoed.path).toBe('/users/7?x=1');
    expect(echoed.headers['x-keep']).toBe('yes');
    expect(echoed.headers['proxy-authorization']).toBeUndefined();
    expect(echoed.headers['keep-alive']).toBeUndefined();
    expect(echoed.headers['x-forwarded-for']).toBe('203.0.113.9');
    expect(echoed.headers['x-forwarded-proto']).toBe('http');

    const health = await w.fetch('/_zkedge/health');
    expect(health.status).toBe(200);
    expect(health.headers.get('x-zkedge-version')).toBe('1');
    expect(await health.json()).toEqual({ status: 'ok', version: 1 });
  });

  it('streams a POST body to the backend and follows current to a new version on the next request', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '0' });
    await publishSnapshot(w.kv, await webOn(1, b1));
    const posted = await w.fetch('/upload', { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    expect(posted.status).toBe(200);
    expect(((await posted.json()) as Echo).body).toBe('payload');

    await publishSnapshot(w.kv, await webOn(2, b2));
    expect(await hit(w)).toEqual({ status: 200, backend: 'b2', version: '2' });
    // Edges follow `current` down too (an operator's pin), after checking the hash.
    await w.kv.put('current', '1');
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
  });

  it('re-reads current at most once per ZKEDGE_REFRESH_MS', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '600000' });
    await publishSnapshot(w.kv, await webOn(1, b1));
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
    await publishSnapshot(w.kv, await webOn(2, b2));
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
  });

  it('refuses a manifest whose root hash does not match and keeps serving the previous snapshot', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '0', ZKEDGE_ADMIN_TOKEN: 'admin-secret' });
    await publishSnapshot(w.kv, await webOn(1, b1));
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });

    const forged = await webOn(2, evil);
    forged.manifest = { ...forged.manifest, routes: { all: { ...forged.manifest.routes.all!, pathPrefix: '/hello' } } };
    await publishSnapshot(w.kv, forged);

    for (let i = 0; i < 5; i++) expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
    expect(evil.hits).toBe(0);
    const health = await w.fetch('/_zkedge/health');
    expect(await health.json()).toEqual({ status: 'ok', version: 1 });
    const status = await w.fetch('/_zkedge/status', { headers: { authorization: 'Bearer admin-secret' } });
    expect(((await status.json()) as { lastError: string }).lastError).toMatch(/snapshot:2 refused: root hash/);

    // A good later version is loaded: a refusal does not stick to the store.
    await publishSnapshot(w.kv, await webOn(3, b2));
    expect(await hit(w)).toEqual({ status: 200, backend: 'b2', version: '3' });
  });

  it('refuses a service document whose hash does not match and falls back to the previous snapshot', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '0' });
    await publishSnapshot(w.kv, await webOn(1, b1));
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });

    const next = await webOn(2, b2);
    const hash = next.manifest.services.web!;
    const doc = JSON.parse(next.documents.get(hash)!) as ServiceDocument;
    // The stored text under service:<h> now sends b2's traffic elsewhere; its hash no longer matches.
    next.documents.set(hash, canonicalJson({ ...doc, instances: { b2: { ...doc.instances.b2!, url: evil.url } } }));
    await publishSnapshot(w.kv, next);

    // The request that loads the document finds the mismatch: the cache refuses version 2, goes
    // back to version 1, and the same request is routed again by version 1.
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
    for (let i = 0; i < 5; i++) expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
    expect(evil.hits).toBe(0);
    expect(await (await w.fetch('/_zkedge/health')).json()).toEqual({ status: 'ok', version: 1 });
    expect(w.logs()).toMatch(/snapshot refused; keeping the last good one/);
  });

  it('answers no_snapshot before any snapshot, no_route and not_found after, and guards status with the admin token', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '0', ZKEDGE_ADMIN_TOKEN: 'admin-secret' });
    for (const path of ['/api/x', '/_zkedge/health']) {
      const res = await w.fetch(path);
      expect(res.status).toBe(503);
      expect(res.headers.get('x-zkedge-version')).toBeNull();
      expect(((await res.json()) as ErrorJson).error.code).toBe('no_snapshot');
    }

    const snap = await webOn(1, b1, { routes: { api: { host: '*', pathPrefix: '/api', service: 'web' } } });
    await publishSnapshot(w.kv, snap);
    expect(await hit(w, '/api/x')).toEqual({ status: 200, backend: 'b1', version: '1' });

    const cases = [
      ['/apix', 404, 'no_route'],
      ['/other', 404, 'no_route'],
      ['/_zkedge/x', 404, 'not_found'],
      ['/_zkedge/status', 401, 'unauthorized'],
    ] as const;
    for (const [path, status, code] of cases) {
      const res = await w.fetch(path);
      expect([path, res.status, ((await res.json()) as ErrorJson).error.code]).toEqual([path, status, code]);
      expect(res.headers.get('x-zkedge-version')).toBe('1');
    }
    const wrong = await w.fetch('/_zkedge/status', { headers: { authorization: 'Bearer admin-secreT' } });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
    const status = await w.fetch('/_zkedge/status', { headers: { authorization: 'Bearer admin-secret' } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ version: 1, hash: snap.manifest.hash, lastError: null });
  });

  it('retries a GET on another instance when one refuses connections, and answers 502 when none is left', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '0' });
    const dead = `http://127.0.0.1:${await freePort()}`;
    await publishSnapshot(
      w.kv,
      await buildTestSnapshot({
        version: 1,
        // The dead instance is nearly always picked first, so nearly every request is a retry.
        services: { web: { config: { retries: 1 }, instances: { dead: { url: dead, weight: 10_000 }, b1: { url: b1.url, weight: 1 } } }, gone: { instances: { dead: { url: dead } } } },
        routes: { all: { host: '*', service: 'web' }, gone: { host: '*', pathPrefix: '/gone', service: 'gone' } },
      }),
    );
    for (let i = 0; i < 10; i++) expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
    const res = await w.fetch('/gone');
    expect(res.status).toBe(502);
    expect(((await res.json()) as ErrorJson).error.code).toBe('upstream_unavailable');
  });

  it('answers 504 upstream_timeout when a backend sends no response head within the service timeout', async () => {
    const slow = await startBackend('slow', { delayMs: 5_000 });
    try {
      const w = await startWorker({ ZKEDGE_REFRESH_MS: '0' });
      await publishSnapshot(
        w.kv,
        await buildTestSnapshot({ version: 1, services: { web: { config: { timeoutMs: 200, retries: 0 }, instances: { slow: { url: slow.url } } } }, routes: { all: { host: '*', service: 'web' } } }),
      );
      const started = Date.now();
      const res = await w.fetch('/hello');
      expect(res.status).toBe(504);
      expect(((await res.json()) as ErrorJson).error.code).toBe('upstream_timeout');
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      await slow.close();
    }
  });

  it.each([
    [{ ZKEDGE_REFRESH_MS: 'soon' }, 'ZKEDGE_REFRESH_MS: expected a whole number of milliseconds such as "5000", got "soon"'],
    [{ ZKEDGE_STALE_AFTER_MS: '-1' }, 'ZKEDGE_STALE_AFTER_MS: expected a whole number of milliseconds such as "5000", got "-1"'],
    [{ ZKEDGE_ADMIN_TOKEN: '' }, 'ZKEDGE_ADMIN_TOKEN: expected a non-empty token'],
  ])('answers every request with 500 invalid_input naming the variable when the env is %o', async (vars, message) => {
    const w = await startWorker(vars);
    for (const path of ['/hello', '/_zkedge/health']) {
      const res = await w.fetch(path);
      expect(res.status).toBe(500);
      expect(((await res.json()) as ErrorJson).error).toEqual({ code: 'invalid_input', message: expect.stringContaining(message) });
    }
  });
});
