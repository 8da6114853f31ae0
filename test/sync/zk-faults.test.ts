import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startBackend } from '../../dev/backend.ts';
import { freePort } from '../../dev/ports.ts';
import { startZooKeeper, startZooKeeperEnsemble, type Server } from '../../dev/servers.ts';
import { waitFor } from '../../dev/wait.ts';
import { startNodeEdge } from '../../edge/node.ts';
import { silentLogger } from '../../shared/log.ts';
import { ManifestSchema } from '../../shared/schema/snapshot.ts';

import { ZK, ZkOpError, createZkClient, type ZkClient } from '../../sync/zookeeper/zk-client.ts';
import { createTestEnv, nextEvent } from '../helpers/env.ts';
import { createSyncDaemon } from '../../sync/daemon.ts';
import { createSyncMetrics } from '../../sync/metrics.ts';
import { createRedisStore } from '../../sync/publish/redis-store.ts';
import type { Manifest } from '../../shared/schema/snapshot.ts';

/** setData that waits out a connection loss and tries again (the value is absolute, so a repeat is harmless). */
async function setPatiently(zk: ZkClient, path: string, data: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await zk.setData(path, data);
      return;
    } catch (e) {
      const transient = e instanceof ZkOpError && [ZK.ZCONNECTIONLOSS, ZK.ZOPERATIONTIMEOUT, ZK.ZSESSIONMOVED].includes(e.rc);
      if (!transient || attempt > 200) throw e;
      await waitFor('the writer to reconnect', () => zk.state === 'connected' || zk.state === 'reconnected', 20_000);
    }
  }
}

describe('ZooKeeper faults', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** A ZooKeeper of the test's own, on a fixed port and data dir, so it can be stopped and restarted. */
  const ownZooKeeper = async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkedge-zk-own-'));
    const port = await freePort();
    const own: { zk: Server; port: number; dir: string } = { zk: await startZooKeeper({ port, dir }), port, dir };
    cleanups.push(async () => {
      await own.zk.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    return own;
  };

  it('keeps the edge serving while ZooKeeper is down, publishes nothing meanwhile, and resyncs after', async () => {
    // This test stops its ZooKeeper, so it runs its own, with a data dir that survives the restart.
    const own = await ownZooKeeper();
    const { port, dir } = own;
    let zk = own.zk;
    const env = await createTestEnv({ zkConnect: zk.address });
    const backend = await startBackend('steady');
    cleanups.push(() => backend.close());
    await env.write(env.paths.instance('api', 'a'), { url: backend.url });
    const d = await env.startDaemon({ sessionTimeoutMs: 30_000 });
    const first = await d.waitPublished();
    const edge = await startNodeEdge({ redisUrl: env.redisUrl, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 500, staleAfterMs: 60_000, log: silentLogger });
    env.onClose(() => edge.close());
    await env.write(env.paths.route('all'), { host: '*', service: 'api' });
    const withRoute = await d.waitPublished((m) => m.routes.all !== undefined);
    await waitFor('the edge to load the route', async () => (await fetch(`http://127.0.0.1:${edge.port}/x`)).status === 200);

    let sent = 0;
    const failures: string[] = [];
    let loading = true;
    const load = (async () => {
      while (loading) {
        const res = await fetch(`http://127.0.0.1:${edge.port}/x`).catch((e: Error) => e);
        sent++;
        if (res instanceof Error) failures.push(res.message);
        else {
          if (res.status !== 200) failures.push(`status ${res.status}`);
          await res.arrayBuffer();
        }
      }
    })();

    await zk.stop();
    await waitFor('the daemon to see the outage', () => d.daemon.status().zookeeper === 'suspended', 20_000);
    const publishedBefore = d.published.length;
    const sentAtOutage = sent;
    await waitFor('200 requests through the edge during the outage', () => sent >= sentAtOutage + 200, 30_000);
    expect(d.published.length).toBe(publishedBefore);

    zk = own.zk = await startZooKeeper({ port, dir });
    await waitFor('the daemon to reconnect and finish its re-read', () => d.daemon.status().treeComplete && d.daemon.status().leader, 30_000);
    await env.write(env.paths.instance('api', 'b'), { url: backend.url, weight: 5 });
    const after = await d.waitPublished((m) => m.version > withRoute.version, 20_000);
    expect((await env.documentOf(after.services.api!)).instances.b).toEqual({ url: backend.url, weight: 5 });
    loading = false;
    await load;
    expect(failures).toEqual([]);
    expect(first.version).toBeLessThan(after.version);
  }, 90_000);

  it('waits while ZooKeeper is down at start, and its first publish holds the whole tree', async () => {
    const own = await ownZooKeeper();
    const { port, dir } = own;
    let zk = own.zk;
    const env = await createTestEnv({ zkConnect: zk.address });
    for (const id of ['a', 'b', 'c']) await env.write(env.paths.instance('api', id), { url: 'http://127.0.0.1:9001' });
    await zk.stop();

    const daemonZk = createZkClient({ connect: `127.0.0.1:${port}`, sessionTimeoutMs: 10_000 });
    const store = createRedisStore({ url: env.redisUrl, prefix: env.prefix, keepVersions: 10 });
    const daemon = createSyncDaemon({ zk: daemonZk, store, root: env.root, log: silentLogger, metrics: createSyncMetrics(), minIntervalMs: 50 });
    env.onClose(async () => {
      await daemon.stop();
      await daemonZk.close();
      await store.close();
    });
    const published: Manifest[] = [];
    daemon.events.on('published', (m) => published.push(m));
    await daemon.start();
    expect(daemon.status().zookeeper).toBe('connecting');

    zk = own.zk = await startZooKeeper({ port, dir });
    const first = await nextEvent<Manifest>(daemon.events, 'published', () => true, 30_000);
    expect(published[0]).toBe(first);
    expect(Object.keys((await env.documentOf(first.services.api!)).instances).sort()).toEqual(['a', 'b', 'c']);
  }, 90_000);

  it('publishes the final state after the ZooKeeper leader of a 3-node ensemble is killed mid-write', async () => {
    const ensemble = await startZooKeeperEnsemble(3);
    cleanups.push(() => ensemble.stop());
    const env = await createTestEnv({ zkConnect: ensemble.connect });
    await env.write(env.paths.instance('api', 'i-1'), { url: 'http://127.0.0.1:9001' });
    await env.write(env.paths.service('api'), { weights: { 'i-1': 1 } });
    const d = await env.startDaemon({ sessionTimeoutMs: 15_000 });
    await d.waitPublished();
    const writer = createZkClient({ connect: ensemble.connect, sessionTimeoutMs: 15_000 });
    await writer.ready();
    env.onClose(() => writer.close());

    const total = 300;
    for (let n = 2; n <= total; n++) {
      if (n === 100) await ensemble.members[await ensemble.leaderIndex()]!.stop();
      await setPatiently(writer, env.paths.service('api'), JSON.stringify({ weights: { 'i-1': n } }));
    }
    const final = await d.waitPublished((m) => m.services.api !== undefined && d.published.at(-1) === m, 30_000).then(async () => {
      return waitFor('the published weight to reach the final value', async () => {
        const m = d.published.at(-1)!;
        const doc = await env.documentOf(m.services.api!);
        return doc.instances['i-1'].weight === total ? m : undefined;
      }, 30_000);
    });
    const zkState = JSON.parse((await writer.getData(env.paths.service('api'), false))!.data);
    expect(zkState.weights['i-1']).toBe(total);
    expect(Number(await env.redis.get(`${env.prefix}current`))).toBe(final.version);
    const versions = d.published.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    for (const m of d.published) expect(ManifestSchema.safeParse(m).success).toBe(true);
  }, 120_000);
});
