// Session expiry on purpose (a twin client closes the session). In its own file, so it runs in its
// own process: the native ZooKeeper clients of tests that stop servers never share it.
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../dev/wait.ts';
import { silentLogger } from '../../shared/log.ts';
import { holdRegistration } from '../../sync/zookeeper/registration.ts';
import { createZkClient } from '../../sync/zookeeper/zk-client.ts';
import { expireSession } from '../../dev/expire-session.ts';
import { createTestEnv, nextEvent } from '../helpers/env.ts';

describe('ZooKeeper session expiry', () => {
  it('resyncs after the daemon session expires; a keeper re-registers; the guard holds a removal meanwhile', async () => {
    const env = await createTestEnv();
    const kz = createZkClient({ connect: env.zkConnect, sessionTimeoutMs: 4_000 });
    await kz.ready();
    env.onClose(() => kz.close());
    const keeper = holdRegistration(kz, env.paths.instances('api'), env.paths.instance('api', 'k1'), JSON.stringify({ url: 'http://127.0.0.1:9001' }), silentLogger);
    await keeper.registered();
    env.onClose(() => keeper.close());
    // a second backend whose process dies: its session ends and its node goes with it
    const doomed = createZkClient({ connect: env.zkConnect, sessionTimeoutMs: 4_000 });
    await doomed.ready();
    await holdRegistration(doomed, env.paths.instances('solo'), env.paths.instance('solo', 's1'), JSON.stringify({ url: 'http://127.0.0.1:9002' }), silentLogger).registered();
    const d = await env.startDaemon({ sessionTimeoutMs: 4_000 });
    const first = await d.waitPublished((m) => m.services.api !== undefined && m.services.solo !== undefined);

    const oldSession = kz.sessionId();
    await expireSession(env.zkConnect, kz);
    await waitFor('the keeper to register again in a new session', async () => {
      const node = await env.zk.getData(env.paths.instance('api', 'k1'), false);
      return node !== null && kz.sessionId() !== oldSession && node.stat.ephemeralOwner !== '0';
    }, 20_000).catch(async (e: Error) => {
      throw new Error(`${e.message}: old ${oldSession} now ${kz.sessionId()} state ${kz.state} node ${JSON.stringify(await env.zk.getData(env.paths.instance('api', 'k1'), false))}`);
    });

    const held = nextEvent<Array<{ service: string }>>(d.daemon.events, 'held', (h) => h.some((x) => x.service === 'solo'), 20_000);
    await doomed.close();
    expect((await held).find((h) => h.service === 'solo')).toMatchObject({ held: ['s1'], publishedCount: 1, remainingCount: 0 });

    await expireSession(env.zkConnect, d.zk);
    await env.write(env.paths.configKey('after-expiry'), '1');
    const after = await d.waitPublished((m) => m.config['after-expiry'] === 1, 30_000);
    expect(after.version).toBeGreaterThan(first.version);
    for (const m of d.published) {
      expect(Object.keys((await env.documentOf(m.services.solo!)).instances)).toEqual(['s1']); // held, never dropped
      expect(Object.keys((await env.documentOf(m.services.api!)).instances)).toContain('k1');
    }
    await waitFor('the daemon to lead again in its new session', () => d.daemon.status().leader, 20_000);
  }, 90_000);
});
