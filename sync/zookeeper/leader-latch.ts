// Leader election (ZooKeeper recipe): each daemon holds an ephemeral sequential node under
// /control/leader; the lowest is the leader; every other watches only its predecessor (no herd).
//
// IMPORTANT: the leader's epoch is the zxid that created its node, which only grows, so it fences
// a deposed leader out of the store (see the publish script in publish/redis-store.ts).
import { EventEmitter } from 'node:events';
import type { Logger } from '../../shared/log.ts';
import { ZK, type ZkClient } from './zk-client.ts';

export type LeaderLatchEvents = { elected: [number]; deposed: [] };

export type LeaderLatch = {
  readonly events: EventEmitter<LeaderLatchEvents>;
  isLeader(): boolean;
  /** The epoch while leader, else undefined. */
  epoch(): number | undefined;
  start(): void;
  /** Gives up leadership (deletes the node). Idempotent. */
  close(): Promise<void>;
};

const PREFIX = 'latch-';

export function createLeaderLatch(zk: ZkClient, dir: string, log: Logger): LeaderLatch {
  const events = new EventEmitter<LeaderLatchEvents>();
  let ours: string | undefined; // full path of our node in this session
  let leaderEpoch: number | undefined;
  let watching: string | undefined;
  let closed = false;
  let session = 0;

  const setLeader = (epoch: number | undefined) => {
    if (epoch === leaderEpoch) return;
    const was = leaderEpoch;
    leaderEpoch = epoch;
    if (epoch !== undefined) {
      log.info({ epoch }, 'elected leader');
      events.emit('elected', epoch);
    } else if (was !== undefined) {
      log.warn({ epoch: was }, 'no longer leader');
      events.emit('deposed');
    }
  };

  const check = async (mine: number): Promise<void> => {
    if (closed || mine !== session || ours === undefined) return;
    const res = await zk.getChildren(dir, false);
    if (mine !== session) return;
    const nodes = (res?.children ?? []).filter((n) => n.startsWith(PREFIX)).sort();
    const name = ours.slice(dir.length + 1);
    const index = nodes.indexOf(name);
    if (index === -1) {
      // our node is gone (deleted by hand?): take part again
      ours = undefined;
      setLeader(undefined);
      return join(mine);
    }
    if (index === 0) {
      watching = undefined;
      // The epoch is the zxid that created our node: it grows with every transaction of the ensemble,
      // so a later leader always has a higher one, even if /control/leader was deleted and recreated.
      const stat = await zk.exists(ours, false);
      if (mine !== session) return;
      if (stat === null) return check(mine);
      return setLeader(stat.czxid);
    }
    setLeader(undefined);
    watching = `${dir}/${nodes[index - 1]}`;
    // exists with a watch: `deleted` on the predecessor re-runs the check; gone already → check now
    if ((await zk.exists(watching, true)) === null) return check(mine);
  };

  const join = async (mine: number) => {
    if (closed || mine !== session) return;
    await zk.mkdirp(dir);
    // Curator's "protected" mode: a create whose reply was lost may have made our node already.
    ours = (await findOurs()) ?? (await zk.create(`${dir}/${PREFIX}`, '', ZK.ZOO_EPHEMERAL_SEQUENTIAL));
    await check(mine);
  };

  const findOurs = async (): Promise<string | undefined> => {
    const sid = zk.sessionId();
    const res = await zk.getChildren(dir, false);
    for (const name of res?.children ?? []) {
      const node = await zk.getData(`${dir}/${name}`, false);
      if (node !== null && sid !== '' && BigInt(`0x${node.stat.ephemeralOwner}`) === BigInt(`0x${sid}`)) return `${dir}/${name}`;
    }
    return undefined;
  };

  const run = (fn: () => Promise<void>) =>
    void fn().catch((e: Error) => log.warn({ err: e.message }, 'leader election step failed; retrying on the next connection event'));

  return {
    events,
    isLeader: () => leaderEpoch !== undefined,
    epoch: () => leaderEpoch,
    start() {
      zk.events.on('deleted', (path) => {
        if (path === watching) run(() => check(session));
      });
      zk.events.on('state', (s) => {
        if (s === 'suspended' || s === 'lost') {
          // Curator's rule: a suspended leader must act as if it were not leader.
          setLeader(undefined);
          if (s === 'lost') {
            session++;
            ours = undefined;
          }
        } else if (s === 'connected') {
          session++;
          ours = undefined;
          run(() => join(session));
        } else run(() => (ours === undefined ? join(session) : check(session))); // reconnected: a join that failed is retried
      });
      if (zk.state === 'connected' || zk.state === 'reconnected') run(() => join(session));
    },
    async close() {
      if (closed) return;
      closed = true;
      setLeader(undefined);
      if (ours !== undefined) await zk.remove(ours).catch(() => {});
    },
  };
}
