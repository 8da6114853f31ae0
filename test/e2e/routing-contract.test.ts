import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { waitFor } from '../../dev/wait.ts';
import { startNodeEdge, type NodeEdge } from '../../edge/node.ts';
import { silentLogger } from '../../shared/log.ts';
import { createRedisStore } from '../../sync/publish/redis-store.ts';
import { EDGE_ZONE, checkAnswer, contractCases, contractSnapshot, type ContractCase } from '../contract/routing-contract.ts';
import { createTestEnv } from '../helpers/env.ts';
import { rawRequest } from '../helpers/raw-http.ts';

describe('routing contract on the Node edge', () => {
  let b: Record<'b1' | 'b2' | 'b3', Backend>;
  let edge: NodeEdge;
  let cases: ContractCase[] = [];

  beforeAll(async () => {
    const [b1, b2, b3] = await Promise.all(['b1', 'b2', 'b3'].map((id) => startBackend(id)));
    b = { b1: b1!, b2: b2!, b3: b3! };
  });
  afterAll(async () => {
    await edge?.close();
    await Promise.all(Object.values(b).map((x) => x.close()));
  });

  it('answers every contract case as specified', async () => {
    const env = await createTestEnv();
    const snap = await contractSnapshot(b, 1);
    cases = contractCases(snap, b);
    const store = createRedisStore({ url: env.redisUrl, prefix: env.prefix, keepVersions: 10 });
    env.onClose(() => store.close());
    const published = await store.publish({ manifest: snap.manifest, documents: snap.documents, epoch: 1, makeCurrent: true });
    expect(published.ok).toBe(true);
    edge = await startNodeEdge({ redisUrl: env.redisUrl, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 1_000, staleAfterMs: 60_000, zone: EDGE_ZONE, log: silentLogger });
    await waitFor('the edge to load the contract snapshot', () => edge.cache.current()?.version === 1);
    const failures: string[] = [];
    for (const c of cases) {
      const res = await rawRequest(edge.port, { path: c.request.path, headers: { host: c.request.host, ...c.request.headers } });
      const problem = await checkAnswer(c, { status: res.status, backend: (res.headers['x-backend'] as string | undefined) ?? null, body: res.body });
      if (problem !== undefined) failures.push(`${c.name}: ${problem}`);
      if (res.headers['x-zkedge-version'] !== '1') failures.push(`${c.name}: no x-zkedge-version header`);
    }
    expect(failures).toEqual([]);
    expect(cases.length).toBeGreaterThan(25);
  });
});
