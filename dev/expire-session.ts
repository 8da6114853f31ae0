// Test tooling: expire a ZooKeeper session on purpose, as ZooKeeper's own tests do.
import { createRequire } from 'node:module';
import { ZK, type ConnectionState, type ZkClient } from '../sync/zookeeper/zk-client.ts';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ZooKeeper: any = require('zookeeper');

/** Attaches to a session with its id and password, then closes it: the server ends that session. */
function closeSessionAs(connect: string, credentials: { id: string; password: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const twin = new ZooKeeper({ connect, timeout: 10_000, debug_level: ZK.ZOO_LOG_LEVEL_ERROR, client_id: credentials.id, client_password: credentials.password });
    const timer = setTimeout(() => reject(new Error('could not attach to the session to expire it')), 10_000);
    twin.on('connect', () => {
      clearTimeout(timer);
      twin.close();
      resolve();
    });
    twin.init({});
  });
}

/**
 * Expires a client's session on purpose, as ZooKeeper's own tests do (test tooling): attach a twin
 * with its id and password and close it. The owner may win its session back by reconnecting first
 * (the twin's close then fails as "session moved"), so this repeats until the owner sees `lost`.
 */
export async function expireSession(connect: string, client: ZkClient, timeoutMs = 20_000): Promise<void> {
  const lost = new Promise<void>((resolve) => {
    const on = (s: ConnectionState) => {
      if (s !== 'lost') return;
      client.events.off('state', on);
      resolve();
    };
    client.events.on('state', on);
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await closeSessionAs(connect, client.credentials());
    const outcome = await Promise.race([lost.then(() => 'lost' as const), new Promise<'again'>((r) => setTimeout(() => r('again'), 3_000))]);
    if (outcome === 'lost') return;
  }
  throw new Error(`session ${client.sessionId()} did not expire within ${timeoutMs} ms`);
}
