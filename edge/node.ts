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
import { createEdgeMetrics } from './node/edge-metrics.ts';
import { startAdminServer } from '../node/admin-server.ts';
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
  /** Serve /healthz and Prometheus /metrics on this port (loopback) when given. */
  adminPort?: number;
  /** Ejection cooldown of a failing instance: base, doubled on each failure in a row, capped. */
  ejection?: { baseMs: number; maxMs: number };
  log: Logger;
};

export type NodeEdge = { port: number; adminPort: number | undefined; cache: SnapshotCache; server: Server; close(): Promise<void> };

/** Starts serving at once (503 no_snapshot until the first snapshot loads). Close is idempotent. */
export async function startNodeEdge(options: NodeEdgeOptions): Promise<NodeEdge> {
  const { log } = options;
  const source = createRedisSource({ url: options.redisUrl, prefix: options.redisPrefix });
  const cache = createSnapshotCache({ source, mode: 'eager', log });
  const undici = createUndiciTransport();
  let lastFailure: string | undefined;
  const metrics = createEdgeMetrics();
  const refresh = async () => {
    const r = await cache.refresh();
    if (!r.ok) metrics.refreshFailures.inc();
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
    observe: metrics.observe,
  });
  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  // Not awaited: while Redis is down the edge still starts, answers, and polls.
  void source.subscribe(() => void refresh()).catch((e: Error) => log.warn({ err: e.message }, 'subscribing to snapshot events failed; polling only'));
  const poll = setInterval(() => void refresh(), options.pollMs);
  await refresh();
  const port = (server.address() as AddressInfo).port;
  const updateGauges = () => {
    const snap = cache.current();
    metrics.snapshotVersion.set(snap?.version ?? 0);
    metrics.snapshotAge.set(snap ? (Date.now() - (cache.checkedAt() ?? snap.loadedAt)) / 1000 : 0);
  };
  const admin =
    options.adminPort === undefined
      ? undefined
      : await startAdminServer({
          port: options.adminPort,
          host: '127.0.0.1',
          registry: metrics.registry,
          health: () => {
            updateGauges();
            const snap = cache.current();
            return { ok: snap !== undefined, body: { version: snap?.version ?? null, lastError: cache.lastError() ?? null } };
          },
          beforeMetrics: updateGauges,
        });
  log.info({ port, host: options.host }, 'edge listening');
  let closed = false;
  return {
    port,
    adminPort: admin?.port,
    cache,
    server,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(poll);
      await admin?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await undici.close();
      await source.close();
    },
  };
}
