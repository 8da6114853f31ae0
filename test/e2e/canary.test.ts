import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { runCli } from '../../dev/cli.ts';
import { waitFor } from '../../dev/wait.ts';
import { startNodeEdge } from '../../edge/node.ts';
import { silentLogger } from '../../shared/log.ts';
import { stickyBucket } from '../../shared/select/sticky-hash.ts';
import { createTestEnv } from '../helpers/env.ts';
import { rawRequest } from '../helpers/raw-http.ts';

describe('sticky canary rollout through the CLI', () => {
  let v1: Backend;
  let v2: Backend;
  beforeAll(async () => {
    [v1, v2] = await Promise.all([startBackend('v1'), startBackend('v2')]);
  });
  afterAll(async () => {
    await Promise.all([v1.close(), v2.close()]);
  });

  it('shifts 5% → 50% → 5% with one command each; sticky users only ever move as the shares require', async () => {
    const env = await createTestEnv();
    await env.write(env.paths.instance('api-v1', 'a'), { url: v1.url });
    await env.write(env.paths.instance('api-v2', 'b'), { url: v2.url });
    const d = await env.startDaemon();
    const edge = await startNodeEdge({ redisUrl: env.redisUrl, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 1_000, staleAfterMs: 60_000, log: silentLogger, adminToken: 'preview-secret' });
    env.onClose(() => edge.close());
    const vars = { ZKEDGE_ZK: env.zkConnect, ZKEDGE_ROOT: env.root };
    let lastVersion = 0;
    const shift = async (v2Weight: number) => {
      const r = await runCli(['route', 'set', 'api', '--host', 'api.test', '--split', `api-v1=${100 - v2Weight},api-v2=${v2Weight}`, '--sticky-key', 'cookie:uid'], vars);
      expect(r.code, r.stderr).toBe(0);
      const m = await d.waitPublished((x) => x.version > lastVersion && x.routes.api?.split.find((s) => s.service === 'api-v2')?.weight === v2Weight);
      lastVersion = m.version;
      await waitFor('the edge to load the shift', () => edge.cache.current()?.version === m.version);
      return m;
    };
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    const sides = async () => {
      const out = new Map<string, string>();
      for (const u of users) {
        const r = await rawRequest(edge.port, { path: '/x', headers: { host: 'api.test', cookie: `theme=dark; uid=${u}` } });
        out.set(u, String(r.headers['x-backend']));
      }
      return out;
    };

    const first = await shift(5);
    const at5 = await sides();
    const onV2at5 = users.filter((u) => at5.get(u) === 'v2');
    expect(onV2at5.length / users.length).toBeGreaterThan(0.01);
    expect(onV2at5.length / users.length).toBeLessThan(0.12);
    // the bucket is the documented function: the published table says which side owns it
    const table = edge.cache.current()!.manifest.routes.api!.buckets!;
    for (const u of users.slice(0, 50)) {
      const b = stickyBucket('api', u);
      const owner = Object.entries(table).find(([, ranges]) => ranges.some(([s, e]) => b >= s && b < e))![0];
      expect(at5.get(u)).toBe(owner === 'api-v2' ? 'v2' : 'v1');
    }

    await shift(50);
    const at50 = await sides();
    for (const u of onV2at5) expect(at50.get(u)).toBe('v2'); // nobody leaves the side that grew
    expect(users.filter((u) => at50.get(u) === 'v2').length / users.length).toBeGreaterThan(0.4);

    const back = await shift(5);
    expect(back.hash).toBe(first.hash); // the same content as before: same bucket table, new version
    expect(await sides()).toEqual(at5); // back to exactly the users of the first 5%

    // a user asks for the canary explicitly with the admin token; without it the preview is refused
    const preview = await rawRequest(edge.port, { path: '/x', headers: { host: 'api.test', 'x-zkedge-preview': 'api-v2', 'x-zkedge-token': 'preview-secret', cookie: `uid=${users.find((u) => at5.get(u) === 'v1')}` } });
    expect(preview.headers['x-backend']).toBe('v2');
    expect(JSON.parse(preview.body).headers['x-zkedge-token']).toBeUndefined();
    const refused = await rawRequest(edge.port, { path: '/x', headers: { host: 'api.test', 'x-zkedge-preview': 'api-v2', 'x-zkedge-token': 'wrong' } });
    expect(refused.status).toBe(401);
  });
});
