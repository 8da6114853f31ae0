// Read-modify-write of one znode by compare-and-set, so concurrent operators never lose an update.
import { ZK, ZkOpError, type ZkClient } from '../zookeeper/zk-client.ts';

/**
 * Applies `update` to the node's current text ('' when missing) and writes the result with the
 * version it read; on a concurrent write it reads again. `update` may throw to abort.
 */
export async function updateNode(zk: ZkClient, path: string, update: (current: string) => string): Promise<void> {
  for (;;) {
    const node = await zk.getData(path, false);
    const next = update(node?.data ?? '');
    try {
      if (node === null) {
        await zk.mkdirp(path.slice(0, path.lastIndexOf('/')));
        await zk.create(path, next);
      } else await zk.setData(path, next, node.stat.version);
      return;
    } catch (e) {
      if (e instanceof ZkOpError && (e.rc === ZK.ZBADVERSION || e.rc === ZK.ZNODEEXISTS)) continue;
      throw e;
    }
  }
}
