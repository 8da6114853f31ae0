// The Node ceiling: node:http in front of one undici keep-alive Pool (as the edge's transport), no
// routing, no snapshot, no Hono/fetch objects; hop-by-hop headers dropped both ways.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { arg, serveParent } from './ipc.ts';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'host']);
const pool = new Pool(arg('backend'), { connections: 128, keepAliveTimeout: 30_000 });

const forward = (headers: IncomingHttpHeaders) => {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
};

const server = createServer(async (req, res) => {
  try {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const up = await pool.request({ path: req.url ?? '/', method: req.method as 'GET', headers: forward(req.headers), body: hasBody ? req : null });
    res.writeHead(up.statusCode, forward(up.headers as IncomingHttpHeaders));
    await pipeline(up.body, res);
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveParent({ port }, {}, async () => {
    server.closeAllConnections();
    server.close();
    await pool.close();
  });
});
