// A small admin HTTP server for Node processes: /healthz (JSON) and /metrics (Prometheus text).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type AdminServer = { port: number; close(): Promise<void> };

export async function startAdminServer(opts: { port: number; host: string; registry: Registry; health: () => { ok: boolean; body: unknown }; beforeMetrics?: () => void }): Promise<AdminServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const h = opts.health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(h.body));
    } else if (req.method === 'GET' && path === '/metrics') {
      opts.beforeMetrics?.();
      void opts.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': opts.registry.contentType });
        res.end(text);
      });
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: `no such endpoint ${path}: try /healthz or /metrics` } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
