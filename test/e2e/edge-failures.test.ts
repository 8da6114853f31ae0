import { createServer, connect, type Server, type Socket } from 'node:net';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBackend, type Backend } from '../../dev/backend.ts';
import { freePort } from '../../dev/ports.ts';
import { waitFor } from '../../dev/wait.ts';
import { startNodeEdge, type NodeEdge } from '../../edge/node.ts';
import { silentLogger } from '../../shared/log.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { rawRequest } from '../helpers/raw-http.ts';

/** Sends bytes as they are and returns the status line of the answer. */
function rawBytes(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text));
    let data = '';
    socket.on('data', (b) => {
      data += b.toString();
      if (data.includes('\r\n')) socket.destroy();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
  });
}

describe('edge failures, retries and safety on real backends', () => {
  let good: Backend;
  let hanging: Server;
  const held = new Set<Socket>();
  let hangingPort: number;
  let deadPort: number;
  let env: TestEnv;
  let edge: NodeEdge;

  beforeAll(async () => {
    good = await startBackend('good');
    hanging = createServer((socket) => void held.add(socket)); // accepts connections, never answers
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
    hangingPort = (hanging.address() as { port: number }).port;
    deadPort = await freePort(); // nothing listens: connections are refused
  });
  afterAll(async () => {
    await good.close();
    for (const socket of held) socket.destroy();
    await new Promise<void>((r) => hanging.close(() => r()));
  });

  const setup = async (services: Record<string, { config?: unknown; instances: Record<string, unknown> }>) => {
    env = await createTestEnv();
    for (const [name, s] of Object.entries(services)) {
      if (s.config !== undefined) await env.write(env.paths.service(name), s.config);
      for (const [id, inst] of Object.entries(s.instances)) await env.write(env.paths.instance(name, id), inst);
      await env.write(env.paths.route(name), { host: `${name}.test`, service: name });
    }
    const d = await env.startDaemon();
    const m = await d.waitPublished((x) => Object.keys(x.routes).length === Object.keys(services).length);
    edge = await startNodeEdge({ redisUrl: env.redisUrl, redisPrefix: env.prefix, port: 0, host: '127.0.0.1', pollMs: 1_000, staleAfterMs: 60_000, log: silentLogger, ejection: { baseMs: 60_000, maxMs: 60_000 } });
    env.onClose(() => edge.close());
    await waitFor('the edge to load', () => edge.cache.current()?.version === m.version);
    return d;
  };
  const get = (host: string, method = 'GET', body?: string) => rawRequest(edge.port, { method, path: '/x', headers: { host }, ...(body !== undefined ? { body } : {}) });

  it('retries a GET on another instance when one refuses connections, then ejects the dead one', async () => {
    await setup({ flaky: { config: { retries: 1, timeoutMs: 2_000 }, instances: { good: { url: good.url }, dead: { url: `http://127.0.0.1:${deadPort}` } } } });
    const before = good.hits;
    for (let i = 0; i < 40; i++) {
      const r = await get('flaky.test');
      expect(r.status).toBe(200);
      expect(r.headers['x-backend']).toBe('good');
    }
    expect(good.hits - before).toBe(40);
  });

  it('never replays a request body: a POST whose connection failed answers 502', async () => {
    await setup({ deadonly: { config: { retries: 3 }, instances: { dead: { url: `http://127.0.0.1:${deadPort}` } } } });
    const r = await get('deadonly.test', 'POST', 'payload');
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).error.code).toBe('upstream_unavailable');
  });

  it('answers 504 upstream_timeout when a backend does not answer within timeoutMs', async () => {
    await setup({ slow: { config: { retries: 0, timeoutMs: 300 }, instances: { hang: { url: `http://127.0.0.1:${hangingPort}` } } } });
    const r = await get('slow.test');
    expect(r.status).toBe(504);
    expect(JSON.parse(r.body).error).toEqual({ code: 'upstream_timeout', message: expect.stringContaining('300 ms') });
  });

  it('answers no_backend when every instance is drained or outside allowedTargets', async () => {
    const d = await setup({
      drained: { config: { weights: { good: 0 } }, instances: { good: { url: good.url } } },
      fenced: { config: { allowedTargets: ['10.0.0.0/8'] }, instances: { good: { url: good.url } } },
    });
    for (const host of ['drained.test', 'fenced.test']) {
      const r = await get(host);
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body).error.code).toBe('no_backend');
    }
    expect(d.reports.some((r) => /outside the service's allowedTargets/.test(r.reason))).toBe(true);
  });

  it('refuses a request with both Content-Length and Transfer-Encoding without reaching a backend', async () => {
    await setup({ api: { instances: { good: { url: good.url } } } });
    const before = good.hits;
    const status = await rawBytes(edge.port, 'POST /x HTTP/1.1\r\nHost: api.test\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: api.test\r\n\r\n');
    expect(status).toMatch(/^HTTP\/1\.1 400/);
    expect(good.hits).toBe(before);
  });

  it('survives clients that leave in the middle of a streamed response', async () => {
    const streaming = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }); // chunked: no content-length
      let n = 0;
      const timer = setInterval(() => {
        if (n++ === 50 || res.destroyed) {
          clearInterval(timer);
          res.end();
        } else res.write('x'.repeat(16_384));
      }, 10);
    });
    await new Promise<void>((r) => streaming.listen(0, '127.0.0.1', () => r()));
    const port = (streaming.address() as { port: number }).port;
    try {
      await setup({ stream: { instances: { s1: { url: `http://127.0.0.1:${port}` } } } });
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port: edge.port, path: '/x', headers: { host: 'stream.test' } }, (res) => {
            res.once('data', () => {
              req.destroy(); // the client goes away after the first chunk
              resolve();
            });
          });
          req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
          req.end();
        });
      }
      const after = await get('stream.test');
      expect(after.status).toBe(200);
      expect(after.body.length).toBe(50 * 16_384);
    } finally {
      streaming.closeAllConnections();
      await new Promise<void>((r) => streaming.close(() => r()));
    }
  });

  it('forwards an upload sent with Expect: 100-continue', async () => {
    await setup({ api: { instances: { good: { url: good.url } } } });
    const body = 'y'.repeat(200_000);
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: edge.port, method: 'PUT', path: '/upload', headers: { host: 'api.test', expect: '100-continue', 'content-length': String(body.length) } }, (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
      });
      req.on('continue', () => req.end(body));
      req.on('error', reject);
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).body.length).toBe(body.length);
  });

  it.each(['/_zkedge/secret', '//_zkedge/secret', '/_zkedge%2Fsecret', '/_ZKEDGE/secret'])('never proxies %s', async (path) => {
    await setup({ api: { instances: { good: { url: good.url } } } });
    const before = good.hits;
    const r = await rawRequest(edge.port, { path, headers: { host: 'api.test' } });
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body).error.code).toBe('not_found');
    expect(good.hits).toBe(before);
  });

  it('ignores a client-written x-forwarded-for unless hops are trusted', async () => {
    await setup({ api: { instances: { good: { url: good.url } } } });
    const r = await rawRequest(edge.port, { path: '/x', headers: { host: 'api.test', 'x-forwarded-for': '6.6.6.6' } });
    expect(JSON.parse(r.body).headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});
