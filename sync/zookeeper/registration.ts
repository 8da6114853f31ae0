// Holds an ephemeral instance registration: creates it, creates it again after a session expiry
// (the server deleted it with the session), and removes it on close.
import type { Logger } from '../../shared/log.ts';
import { ZK, ZkOpError, type ZkClient } from './zk-client.ts';

export type Registration = { registered(): Promise<void>; close(): Promise<void> };

export function holdRegistration(zk: ZkClient, dir: string, path: string, data: string, log: Logger): Registration {
  let closed = false;
  const register = async () => {
    if (closed) return;
    await zk.mkdirp(dir);
    try {
      await zk.create(path, data, ZK.ZOO_EPHEMERAL);
    } catch (e) {
      if (!(e instanceof ZkOpError && e.rc === ZK.ZNODEEXISTS)) throw e;
      const node = await zk.getData(path, false);
      // Ours already (a create whose answer was lost): fine. Someone else's: refuse to steal it.
      if (node !== null && node.stat.ephemeralOwner !== zk.sessionId() && BigInt(`0x${node.stat.ephemeralOwner}`) !== BigInt(`0x${zk.sessionId() || '0'}`)) {
        throw new Error(`${path} already exists, owned by session ${node.stat.ephemeralOwner}: is another process registered with the same id?`);
      }
    }
    log.info({ path }, 'registered');
  };
  zk.events.on('state', (s) => {
    // connected: a new session (the node went with the old one); reconnected: a create may have failed meanwhile
    if (s === 'connected' || s === 'reconnected') void register().catch((e: Error) => log.error({ path, err: e.message }, 'registration failed'));
  });
  const first = zk.state === 'connected' || zk.state === 'reconnected' ? register() : new Promise<void>((resolve, reject) => zk.events.once('state', () => register().then(resolve, reject)));
  return {
    registered: () => first,
    async close() {
      if (closed) return;
      closed = true;
      await zk.remove(path).catch(() => {});
    },
  };
}
