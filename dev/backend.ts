// A tiny HTTP backend on loopback that answers who it is: used by tests, the demo and the bench.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Backend = { id: string; port: number; url: string; hits: number; lastRequest: IncomingMessage | undefined; lastBody: string; close(): Promise<void> };

/** Answers `{"backend": id, "path": ..., "method": ...}`; echoes request headers as JSON under `headers`. */
export async function startBackend(id: string, options: { port?: number; delayMs?: number } = {}): Promise<Backend> {
  const backend: Backend = { id, port: 0, url: '', hits: 0, lastRequest: undefined, lastBody: '', close: async () => {} };
  const server: Server = createServer((req, res) => {
    backend.hits++;
    backend.lastRequest = req;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      backend.lastBody = Buffer.concat(chunks).toString();
      const send = () => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('x-backend', id);
        res.end(JSON.stringify({ backend: id, path: req.url, method: req.method, headers: req.headers, body: backend.lastBody }));
      };
      if (options.delayMs) setTimeout(send, options.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
  backend.port = (server.address() as AddressInfo).port;
  backend.url = `http://127.0.0.1:${backend.port}`;
  backend.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return backend;
}
