// A short-lived ZooKeeper session for one-shot commands (weight, route set, config set).
import { createZkClient, type ZkClient } from '../zookeeper/zk-client.ts';
import { OperationError } from './common.ts';

/** How long a one-shot command waits for ZooKeeper (ZKEDGE_CONNECT_TIMEOUT_MS, default 10 s). */
export function connectTimeoutMs(env: NodeJS.ProcessEnv): number {
  const n = Number(env.ZKEDGE_CONNECT_TIMEOUT_MS ?? '10000');
  return Number.isFinite(n) && n > 0 ? n : 10_000;
}

export async function withZk<T>(connect: string, work: (zk: ZkClient) => Promise<T>): Promise<T> {
  const zk = createZkClient({ connect, sessionTimeoutMs: 10_000 });
  try {
    await zk.ready(connectTimeoutMs(process.env)).catch((e: Error) => {
      throw new OperationError(e.message);
    });
    return await work(zk);
  } finally {
    await zk.close();
  }
}
