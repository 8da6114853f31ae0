// The snapshot version counter in ZooKeeper (/control/version), advanced by compare-and-set, so
// versions strictly increase across restarts, leader changes and the loss of a store's data.
import { ZK, ZkOpError, type ZkClient } from './zk-client.ts';

export type VersionCounter = {
  /** Reserves and returns the next version, at least `atLeast + 1`. May throw on connection loss. */
  next(atLeast: number): Promise<number>;
};

export function createVersionCounter(zk: ZkClient, path: string): VersionCounter {
  return {
    async next(atLeast) {
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
    },
  };
}
