// Composition root of the Node edge: Redis source (push + poll), eager snapshot cache, undici
// transport, Hono app on node:http.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import type { Logger } from '../shared/log.ts';
import { createApp } from './app.ts';
import { createSnapshotCache, type SnapshotCache } from './core/snapshot-cache.ts';
import { createUndiciTransport } from './node/undici-transport.ts';
import { createInstancePicker } from './core/instance-picker.ts';
import { createRedisSource } from './sources/redis-source.ts';

export type NodeEdgeOptions = {
  redisUrl: string;
  redisPrefix: string;
  port: number;
  host: string;
  zone?: string;
  pollMs: number;
  staleAfterMs: number;
  adminToken?: string;
  trustedHops?: number;
  /** Ejection cooldown of a failing instance: base, doubled on each failure in a row, capped. */
  ejection?: { baseMs: number; maxMs: number };
  log: Logger;
};

export type NodeEdge = { port: number; cache: SnapshotCache; server: Server; close(): Promise<void> };

/** Starts serving at once (503 no_snapshot until the first snapshot loads). Close is idempotent. */
export async function startNodeEdge(options: NodeEdgeOptions): Promise<NodeEdge> {
  const { log } = options;
  const source = createRedisSource({ url: options.redisUrl, prefix: options.redisPrefix });
  const cache = createSnapshotCache({ source, mode: 'eager', log });
  const undici = createUndiciTransport();
  let lastFailure: string | undefined;
  const refresh = async () => {
    const r = await cache.refresh();
    const failure = r.ok ? undefined : r.error.message;
    if (failure !== lastFailure) {
      if (failure) log.warn({ err: failure }, 'snapshot refresh failed; serving the last good snapshot');
      else log.info({ version: cache.current()?.version }, 'snapshot store reachable again');
      lastFailure = failure;
    }
  };
  const app = createApp({
    cache,
    transport: undici.transport,
    clientIp: (c) => (c.env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress,
    staleAfterMs: options.staleAfterMs,
    ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
    trustedHops: options.trustedHops ?? 0,
    localZone: () => options.zone,
    picker: createInstancePicker(options.ejection),
  });
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  await source.subscribe(() => void refresh());
  const poll = setInterval(() => void refresh(), options.pollMs);
  await refresh();
  const port = (server.address() as AddressInfo).port;
  log.info({ port, host: options.host }, 'edge listening');
  let closed = false;
  return {
    port,
    cache,
    server,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await undici.close();
      await source.close();
    },
  };
}
