// Watches single control nodes (pin, guard release) by data watch or existence watch, re-armed on
// every event and every new session. Reports the node's data, or null when it does not exist.
import type { ZkClient } from './zk-client.ts';

export type ControlWatch = { start(): void };

export function createControlWatch(zk: ZkClient, paths: readonly string[], onData: (path: string, data: string | null) => void): ControlWatch {
  const read = async (path: string) => {
    try {
      const node = await zk.getData(path, true);
      if (node !== null) return onData(path, node.data);
      // arm a `created` watch; if it appeared in between, read again
      if ((await zk.exists(path, true)) !== null) return read(path);
      onData(path, null);
    } catch {
      // connection loss: the next session or reconnect event reads again
    }
  };
  const onEvent = (path: string) => {
    if (paths.includes(path)) void read(path);
  };
  return {
    start() {
      for (const ev of ['changed', 'created', 'deleted'] as const) zk.events.on(ev, onEvent);
      zk.events.on('state', (s) => {
        if (s === 'connected' || s === 'reconnected') for (const p of paths) void read(p);
      });
      if (zk.state === 'connected' || zk.state === 'reconnected') for (const p of paths) void read(p);
    },
  };
}
