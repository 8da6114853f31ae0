import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { runCli, startCli } from '../../dev/cli.ts';
import { waitFor } from '../../dev/wait.ts';
import { silentLogger } from '../../shared/log.ts';
import { canonicalJson } from '../../shared/snapshot/canonical-json.ts';
import { hashJson } from '../../shared/snapshot/hash.ts';
import { rootHashInput, type ServiceDocument } from '../../shared/schema/snapshot.ts';
import { createSyncDaemon } from '../../sync/daemon.ts';
import { createSyncMetrics } from '../../sync/metrics.ts';
import { createKvPushStore } from '../../sync/publish/kv-push-store.ts';
import { createRedisStore } from '../../sync/publish/redis-store.ts';
import { createZkClient } from '../../sync/zookeeper/zk-client.ts';
import { createTestEnv, nextEvent, type TestEnv } from '../helpers/env.ts';
import { buildTestSnapshot, startWorker, type TestSnapshot, type TestWorker, type WorkerVars } from '../helpers/worker.ts';

const TOKEN = 'publish-secret-0123456789';
type ErrorJson = { error: { code: string; message: string }; missing?: string[] };

/** A Worker holding the publish secret (a plain binding in Miniflare, a secret when deployed). */
const startPublishingWorker = (token: string | null = TOKEN) =>
  // WorkerVars (test/helpers/worker.ts) does not list ZKEDGE_PUBLISH_TOKEN yet; Miniflare passes any binding.
  startWorker({ ZKEDGE_REFRESH_MS: '0', ...(token !== null ? { ZKEDGE_PUBLISH_TOKEN: token } : {}) } as WorkerVars);

const webOn = (version: number, backend: Backend) =>
  buildTestSnapshot({ version, services: { web: { instances: { [backend.id]: { url: backend.url } } } }, routes: { all: { host: '*', service: 'web' } } });

/** The PUT /_zkedge/snapshot body: documents as JSON values, keyed by hash. */
const bodyOf = (snap: TestSnapshot, extra: Record<string, unknown> = {}) => ({
  manifest: snap.manifest,
  documents: Object.fromEntries([...snap.documents].map(([h, text]) => [h, JSON.parse(text) as unknown])),
  ...extra,
});

async function put(w: TestWorker, path: string, body: unknown, token: string | null = TOKEN) {
  const res = await w.fetch(path, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & Partial<ErrorJson> };
}

/** Every KV key and value: "nothing written" means this is unchanged. */
async function kvDump(w: TestWorker): Promise<Record<string, string | null>> {
  const { keys } = await w.kv.list();
  return Object.fromEntries(await Promise.all(keys.map(async (k) => [k.name, await w.kv.get(k.name)] as const)));
}

async function hit(w: TestWorker): Promise<{ status: number; backend: string | null; version: string | null }> {
  const res = await w.fetch('/hello');
  await res.arrayBuffer();
  return { status: res.status, backend: res.headers.get('x-backend'), version: res.headers.get('x-zkedge-version') };
}

async function seedWeb(env: TestEnv, backends: Backend[], weights: Record<string, number>) {
  await env.write(env.paths.service('web'), { weights });
  for (const b of backends) await env.write(env.paths.instance('web', b.id), { url: b.url });
  await env.write(env.paths.route('all'), { host: '*', service: 'web' });
}

const redisCurrent = async (env: TestEnv) => Number((await env.redis.get(`${env.prefix}current`)) ?? 0);

describe('KV publishing path: zkedge sync --kv-push → Worker publish endpoints → Workers KV (workerd)', () => {
  let b1: Backend;
  let b2: Backend;
  beforeAll(async () => {
    [b1, b2] = await Promise.all([startBackend('b1'), startBackend('b2')]);
  });
  afterAll(async () => {
    await Promise.all([b1, b2].map((b) => b?.close()));
  });

  it('pushes every new snapshot through the Worker, which routes by it, and the next version after a weight change', async () => {
    // IMPORTANT: the Worker before createTestEnv. Teardown runs in reverse, so the ZooKeeper clients
    // close before Miniflare is disposed; the other order left every later ZooKeeper client of this
    // process unable to connect (the native client spins: "zookeeper_process returned no response").
    const w = await startPublishingWorker();
    const env = await createTestEnv();
    await seedWeb(env, [b1, b2], { b1: 100, b2: 0 });
    const vars = { ZKEDGE_ZK: env.zkConnect, ZKEDGE_REDIS_URL: env.redisUrl, ZKEDGE_ROOT: env.root, ZKEDGE_REDIS_PREFIX: env.prefix, ZKEDGE_LOG_LEVEL: 'warn', ZKEDGE_PUBLISH_TOKEN: TOKEN };
    const sync = startCli(['sync', '--kv-push', (await w.mf.ready).origin], vars);
    env.onClose(() => sync.stop());

    const v1 = await waitFor('Redis current', async () => (await redisCurrent(env)) || false, 20_000, 50);
    const first = await waitFor(`the Worker to serve version ${v1}`, async () => {
      const h = await hit(w);
      return h.version === String(v1) && h;
    }, 20_000, 50).catch((e: Error) => {
      throw new Error(`${e.message}\nsync output: ${sync.output()}`);
    });
    expect(first).toEqual({ status: 200, backend: 'b1', version: String(v1) });

    await env.write(env.paths.service('web'), { weights: { b1: 0, b2: 100 } });
    const v2 = await waitFor('the next version in Redis', async () => (await redisCurrent(env)) > v1 && redisCurrent(env), 20_000, 25);
    await waitFor(`the Worker to serve version ${v2}`, async () => (await hit(w)).version === String(v2), 20_000, 25);
    for (let i = 0; i < 5; i++) expect(await hit(w)).toEqual({ status: 200, backend: 'b2', version: String(v2) });
    expect(await w.kv.get('current')).toBe(String(v2));
    expect(JSON.parse((await w.kv.get(`snapshot:${v1}`))!)).toEqual(await env.manifestOf(v1));
    expect(JSON.parse((await w.kv.get(`snapshot:${v2}`))!)).toEqual(await env.manifestOf(v2));
  });

  it('refuses a push without the token, with a wrong token, or to a Worker without the secret: 401 and nothing written', async () => {
    const w = await startPublishingWorker();
    const snap = await webOn(1, b1);
    for (const token of [null, '', 'wrong-token', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const res = await put(w, '/_zkedge/snapshot', bodyOf(snap), token);
      expect([token, res.status, res.json.error?.code]).toEqual([token, 401, 'unauthorized']);
      expect((await put(w, '/_zkedge/current', { version: 1 }, token)).status).toBe(401);
    }
    expect(await kvDump(w)).toEqual({});

    const closed = await startPublishingWorker(null);
    const res = await put(closed, '/_zkedge/snapshot', bodyOf(snap));
    expect(res.status).toBe(401);
    expect(res.json.error?.message).toMatch(/ZKEDGE_PUBLISH_TOKEN/);
    expect(await kvDump(closed)).toEqual({});
  });

  it.each<[string, (s: TestSnapshot) => Promise<unknown> | unknown, number, string]>([
    ['a document whose hash does not match', (s) => {
      const body = bodyOf(s);
      const [h] = Object.keys(body.documents);
      (body.documents[h!] as ServiceDocument).instances = { evil: { url: 'http://127.0.0.1:9', weight: 100 } };
      return body;
    }, 400, 'hash_mismatch'],
    ['a manifest whose root hash does not match', (s) => bodyOf({ ...s, manifest: { ...s.manifest, routes: { all: { ...s.manifest.routes.all!, pathPrefix: '/x' } } } }), 400, 'hash_mismatch'],
    ['a manifest failing the schema', (s) => bodyOf({ ...s, manifest: { ...s.manifest, version: -2 } }), 400, 'invalid_input'],
    ['a document the manifest does not reference', async (s) => {
      const other = await buildTestSnapshot({ version: 2, services: { api: { instances: { x: { url: 'http://127.0.0.1:9' } } } }, routes: {} });
      return { ...bodyOf(s), documents: { ...bodyOf(s).documents, ...bodyOf(other).documents } };
    }, 400, 'invalid_input'],
    ['a document stored under a service of another name', async (s) => {
      const services = { other: s.manifest.services.web! };
      const manifest = { ...s.manifest, services, routes: { all: { ...s.manifest.routes.all!, split: [{ service: 'other', weight: 1 }] } } };
      return bodyOf({ ...s, manifest: { ...manifest, hash: await hashJson(rootHashInput(manifest)) } });
    }, 400, 'invalid_input'],
    ['an unknown field', (s) => bodyOf(s, { extra: true }), 400, 'invalid_input'],
    ['a body that is not JSON', () => '{"manifest":', 400, 'invalid_json'],
    ['a body over 16 MiB', (s) => JSON.stringify(bodyOf(s)).replace(/}$/, `,"pad":"${'x'.repeat(16 * 1024 * 1024)}"}`), 400, 'invalid_input'],
  ])('refuses %s and leaves KV as it was (current stays on the old version)', async (_, mutate, status, code) => {
    const w = await startPublishingWorker();
    expect((await put(w, '/_zkedge/snapshot', bodyOf(await webOn(1, b1)))).status).toBe(200);
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
    const before = await kvDump(w);

    const res = await put(w, '/_zkedge/snapshot', await mutate(await webOn(2, b2)));
    expect([res.status, res.json.error?.code]).toEqual([status, code]);
    expect(await kvDump(w)).toEqual(before);
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
  });

  it('accepts a re-push of a stored version with the same hash and changes nothing; a different hash under it is a conflict', async () => {
    const w = await startPublishingWorker();
    const [s1, s2] = [await webOn(1, b1), await webOn(2, b2)];
    expect((await put(w, '/_zkedge/snapshot', bodyOf(s1))).json).toMatchObject({ version: 1, hash: s1.manifest.hash, stored: true, current: 1 });
    expect((await put(w, '/_zkedge/snapshot', bodyOf(s2))).json).toMatchObject({ version: 2, stored: true, current: 2 });
    expect((await put(w, '/_zkedge/current', { version: 1 })).status).toBe(200); // pinned: a re-push must not unpin
    const before = await kvDump(w);

    for (const body of [bodyOf(s2), { manifest: s2.manifest }, bodyOf(s1)]) {
      const res = await put(w, '/_zkedge/snapshot', body);
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ version: body.manifest.version, hash: body.manifest.hash, stored: false, current: 1 });
    }
    expect(await kvDump(w)).toEqual(before);

    const changed = await buildTestSnapshot({ version: 2, services: { web: { instances: { b1: { url: b1.url } } } }, routes: { all: { host: '*', pathPrefix: '/v2', service: 'web' } } });
    const res = await put(w, '/_zkedge/snapshot', bodyOf(changed));
    expect([res.status, res.json.error?.code]).toEqual([409, 'conflict']);
    expect(res.json.error?.message).toMatch(/never changes/);
    expect(await kvDump(w)).toEqual(before);
  });

  it('moves current down and up with PUT /_zkedge/current (pin, unpin) and refuses a version not stored', async () => {
    const w = await startPublishingWorker();
    await put(w, '/_zkedge/snapshot', bodyOf(await webOn(1, b1)));
    await put(w, '/_zkedge/snapshot', bodyOf(await webOn(2, b2)));
    expect(await hit(w)).toEqual({ status: 200, backend: 'b2', version: '2' });

    expect(await put(w, '/_zkedge/current', { version: 1 })).toEqual({ status: 200, json: { version: 1, current: 1, previous: 2 } });
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
    expect(await put(w, '/_zkedge/current', { version: 2 })).toEqual({ status: 200, json: { version: 2, current: 2, previous: 1 } });
    expect(await hit(w)).toEqual({ status: 200, backend: 'b2', version: '2' });

    const cases: Array<[unknown, number, string]> = [
      [{ version: 7 }, 404, 'not_found'],
      [{ version: '1' }, 400, 'invalid_input'],
      [{ version: 0 }, 400, 'invalid_input'],
      [{ version: 1, force: true }, 400, 'invalid_input'],
    ];
    for (const [body, status, code] of cases) {
      const res = await put(w, '/_zkedge/current', body);
      expect([body, res.status, res.json.error?.code]).toEqual([body, status, code]);
    }
    expect(await w.kv.get('current')).toBe('2');
    expect(await hit(w)).toEqual({ status: 200, backend: 'b2', version: '2' });
  });

  it('answers 409 with the hashes KV lacks, having stored nothing of the snapshot, and stores it once they are sent', async () => {
    const w = await startPublishingWorker();
    const snap = await buildTestSnapshot({
      version: 1,
      services: { web: { instances: { b1: { url: b1.url } } }, api: { instances: { b2: { url: b2.url } } } },
      routes: { all: { host: '*', service: 'web' } },
    });
    const [apiHash, webHash] = [snap.manifest.services.api!, snap.manifest.services.web!];
    const bare = await put(w, '/_zkedge/snapshot', { manifest: snap.manifest });
    expect([bare.status, bare.json.error?.code, [...(bare.json.missing ?? [])].sort()]).toEqual([409, 'conflict', [apiHash, webHash].sort()]);
    expect(await kvDump(w)).toEqual({});

    // Documents sent with a 409 are kept (content-addressed): a big snapshot goes over several requests.
    const half = await put(w, '/_zkedge/snapshot', { manifest: snap.manifest, documents: { [webHash]: JSON.parse(snap.documents.get(webHash)!) } });
    expect([half.status, half.json.missing]).toEqual([409, [apiHash]]);
    expect(Object.keys(await kvDump(w))).toEqual([`service:${webHash}`]);
    const rest = await put(w, '/_zkedge/snapshot', { manifest: snap.manifest, documents: { [apiHash]: JSON.parse(snap.documents.get(apiHash)!) } });
    expect(rest.json).toMatchObject({ stored: true, current: 1 });
    expect(await w.kv.get(`service:${apiHash}`)).toBe(canonicalJson(JSON.parse(snap.documents.get(apiHash)!)));
    expect(await hit(w)).toEqual({ status: 200, backend: 'b1', version: '1' });
  });

  it('the pusher learns what KV lacks, sends each document once, and writes current at most once a second, coalesced to the latest', async () => {
    const w = await startPublishingWorker();
    const sent: Array<{ path: string; body: { documents?: object; makeCurrent?: boolean; version?: number }; status: number; startedAt: number; endedAt: number }> = [];
    const recording: typeof fetch = async (input, init) => {
      const startedAt = Date.now();
      const res = await fetch(input, init);
      sent.push({ path: new URL(String(input)).pathname, body: JSON.parse(String(init?.body)), status: res.status, startedAt, endedAt: Date.now() });
      return res;
    };
    const store = createKvPushStore({ url: (await w.mf.ready).origin, token: TOKEN, fetch: recording });
    const snaps = await Promise.all([b1, b2, b1, b2].map((b, i) => webOn(i + 1, b)));
    const publish = (i: number) => store.publish({ manifest: snaps[i]!.manifest, documents: snaps[i]!.documents, epoch: 1, makeCurrent: true });

    expect((await publish(0)).ok).toBe(true);
    expect(sent.map((s) => [s.status, Object.keys(s.body.documents ?? {}).length, s.body.makeCurrent])).toEqual([[409, 0, true], [200, 1, true]]);
    for (const i of [1, 2, 3]) expect((await publish(i)).ok).toBe(true); // inside the second: current waits
    expect(await w.kv.get('current')).toBe('1');
    expect((await store.setCurrent(4, 1)).ok).toBe(true);

    const currentWrites = sent.filter((s) => s.path === '/_zkedge/current');
    expect(currentWrites.map((s) => s.body.version)).toEqual([4]);
    expect(currentWrites[0]!.startedAt - sent[1]!.endedAt).toBeGreaterThanOrEqual(990);
    // Versions 3 and 4 share the documents of 1 and 2: the pusher knew KV had them.
    expect(sent.slice(2, 5).map((s) => [Object.keys(s.body.documents ?? {}).length, s.body.makeCurrent])).toEqual([[1, false], [0, false], [0, false]]);
    expect(await w.kv.get('current')).toBe('4');
    expect(await hit(w)).toEqual({ status: 200, backend: 'b2', version: '4' });
    await store.close();
  });

  it('a Worker outage never holds up Redis publishing: failures are counted with store="kv" and the mirror catches up', async () => {
    const w = await startPublishingWorker(); // before createTestEnv, as above
    const env = await createTestEnv();
    await seedWeb(env, [b1, b2], { b1: 100, b2: 0 });
    let down = true;
    const flaky: typeof fetch = (input, init) => (down ? Promise.reject(new TypeError('fetch failed: connect ECONNREFUSED')) : fetch(input, init));
    const mirror = createKvPushStore({ url: (await w.mf.ready).origin, token: TOKEN, fetch: flaky });
    const store = createRedisStore({ url: env.redisUrl, prefix: env.prefix, keepVersions: 100 });
    const zk = createZkClient({ connect: env.zkConnect, sessionTimeoutMs: 10_000 });
    await zk.ready();
    const metrics = createSyncMetrics();
    const daemon = createSyncDaemon({ zk, store, mirrors: [mirror], root: env.root, log: silentLogger, metrics, minIntervalMs: 50 });
    env.onClose(async () => {
      await daemon.stop();
      await Promise.all([zk.close(), store.close(), mirror.close()]);
    });
    const firstPublished = nextEvent<{ version: number }>(daemon.events, 'published');
    await daemon.start();
    const v1 = (await firstPublished).version;
    const kvFailures = async () => (await metrics.publishFailures.get()).values.filter((v) => v.labels.store === 'kv').reduce((n, v) => n + v.value, 0);
    await waitFor('a counted KV push failure', async () => (await kvFailures()) >= 1, 10_000);

    const secondPublished = nextEvent<{ version: number }>(daemon.events, 'published', (m) => m.version > v1);
    await env.write(env.paths.service('web'), { weights: { b1: 0, b2: 100 } });
    const v2 = (await secondPublished).version;
    expect(await redisCurrent(env)).toBe(v2);
    expect(await kvDump(w)).toEqual({});

    down = false;
    await waitFor(`the Worker to serve version ${v2}`, async () => (await hit(w)).version === String(v2), 20_000, 50);
    expect(await hit(w)).toEqual({ status: 200, backend: 'b2', version: String(v2) });
    expect(await w.kv.get(`snapshot:${v1}`)).not.toBeNull(); // every version went, in order
    expect((await metrics.publishes.get()).values.find((v) => v.labels.store === 'kv')?.value).toBeGreaterThanOrEqual(2);
  });

  it.each([
    [{ ZKEDGE_PUBLISH_TOKEN: '' }, 'http://127.0.0.1:1', /ZKEDGE_PUBLISH_TOKEN/],
    [{ ZKEDGE_PUBLISH_TOKEN: TOKEN }, 'ftp://127.0.0.1:1', /--kv-push: expected the Worker's http\(s\) URL/],
    [{ ZKEDGE_PUBLISH_TOKEN: TOKEN }, 'not a url', /--kv-push:/],
  ])('zkedge sync exits 2 naming the problem for env %o and --kv-push %s', async (vars, url, message) => {
    const env = await createTestEnv();
    const r = await runCli(['sync', '--kv-push', url], { ZKEDGE_ZK: env.zkConnect, ZKEDGE_REDIS_URL: env.redisUrl, ZKEDGE_ROOT: env.root, ...vars });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
