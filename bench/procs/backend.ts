// Bench backend: node:http on loopback answering every request with the same small JSON body.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serveParent } from './ipc.ts';

const body = Buffer.from(JSON.stringify({ backend: 'bench', ok: true, pad: 'x'.repeat(64) }));
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length, 'x-backend': 'bench' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  serveParent({ port, bodyBytes: body.length }, {}, async () => {
    server.closeAllConnections();
    server.close();
  });
});
