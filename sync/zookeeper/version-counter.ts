// The snapshot version counter in ZooKeeper (/control/version), advanced by compare-and-set, so
// versions strictly increase across restarts, leader changes and the loss of a store's data.
// The next version is reserved right after each one is handed out, so a change does not wait for
// a second ZooKeeper commit; a daemon that stops or loses leadership leaves a gap (never a reuse).
import { ZK, ZkOpError, type ZkClient } from './zk-client.ts';

export type VersionCounter = {
  /** Returns a version above `atLeast` that no one else got. May throw on connection loss. */
  next(atLeast: number): Promise<number>;
};

export function createVersionCounter(zk: ZkClient, path: string): VersionCounter {
  let reserved: number | undefined;
  let reserving: Promise<void> | undefined;

  const reserve = async (atLeast: number): Promise<number> => {
    for (;;) {
      const node = await zk.getData(path, false);
      if (node === null) {
        await zk.mkdirp(path.slice(0, path.lastIndexOf('/')) || '/');
        try {
          await zk.create(path, String(atLeast + 1));
          return atLeast + 1;
        } catch (e) {
          if (e instanceof ZkOpError && e.rc === ZK.ZNODEEXISTS) continue;
          throw e;
        }
      }
      const stored = Number.parseInt(node.data, 10);
      const next = Math.max(Number.isFinite(stored) ? stored : 0, atLeast) + 1;
      try {
        await zk.setData(path, String(next), node.stat.version);
        return next;
      } catch (e) {
        if (e instanceof ZkOpError && e.rc === ZK.ZBADVERSION) continue; // another writer won: read again
        throw e;
      }
    }
  };

  return {
    async next(atLeast) {
      if (reserving !== undefined) await reserving;
      let version: number;
      if (reserved !== undefined && reserved > atLeast) version = reserved;
      else version = await reserve(atLeast);
      reserved = undefined;
      reserving = reserve(version)
        .then((v) => void (reserved = v))
        .catch(() => void (reserved = undefined))
        .finally(() => void (reserving = undefined));
      return version;
    },
  };
}
