import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { EDGE_ZONE, checkAnswer, contractCases, contractSnapshot } from '../contract/routing-contract.ts';
import { publishSnapshot, startWorker } from '../helpers/worker.ts';

describe('routing contract on the Workers edge (workerd)', () => {
  let b: Record<'b1' | 'b2' | 'b3', Backend>;
  beforeAll(async () => {
    const [b1, b2, b3] = await Promise.all(['b1', 'b2', 'b3'].map((id) => startBackend(id)));
    b = { b1: b1!, b2: b2!, b3: b3! };
  });
  afterAll(async () => {
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  it('answers every contract case as the Node edge does', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '0', ZKEDGE_ZONE: EDGE_ZONE });
    const snap = await contractSnapshot(b, 1);
    await publishSnapshot(w.kv, snap);
    const failures: string[] = [];
    for (const c of contractCases(snap, b)) {
      // Miniflare sets Host from the URL: dispatching into the Worker opens no connection to that host.
      const res = await w.mf.dispatchFetch(`http://${c.request.host}${c.request.path}`, { headers: { ...c.request.headers } });
      const body = await res.text();
      const problem = await checkAnswer(c, { status: res.status, backend: res.headers.get('x-backend'), body });
      if (problem !== undefined) failures.push(`${c.name}: ${problem}`);
      if (res.headers.get('x-zkedge-version') !== '1') failures.push(`${c.name}: no x-zkedge-version header`);
    }
    expect(failures).toEqual([]);
  });

  it('takes its zone from request.cf through ZKEDGE_ZONE_MAP', async () => {
    const w = await startWorker({ ZKEDGE_REFRESH_MS: '0', ZKEDGE_ZONE: 'us', ZKEDGE_ZONE_MAP: JSON.stringify({ 'colo:FRA': 'eu', 'continent:NA': 'us' }) });
    await publishSnapshot(w.kv, await contractSnapshot(b, 1));
    const from = async (cf: Record<string, string>) => (await w.mf.dispatchFetch('http://zoned.test/', { cf })).headers.get('x-backend');
    for (let i = 0; i < 10; i++) expect(await from({ colo: 'FRA', continent: 'EU' })).toBe('b1');
    for (let i = 0; i < 10; i++) expect(['b2', 'b3']).toContain(await from({ colo: 'SJC', continent: 'NA' }));
  });

  it('refuses a malformed ZKEDGE_ZONE_MAP with a 500 naming the variable', async () => {
    const w = await startWorker({ ZKEDGE_ZONE_MAP: '{"planet:mars":"x"}' });
    const res = await w.fetch('/');
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/ZKEDGE_ZONE_MAP/);
  });
});
