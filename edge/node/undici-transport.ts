// Transport on Node: one undici keep-alive Pool per backend origin.
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { lookup as dnsLookup } from 'node:dns';
import { UpstreamError, type Transport, type UpstreamRequest } from '../core/transport.ts';
import { createGuardedLookup } from './guarded-lookup.ts';

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET_BEFORE_SEND']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

export type UndiciTransport = { transport: Transport; close(): Promise<void> };

const SMALL_BODY = 64 * 1024;

/**
 * A pull-based web stream over a Node body. Not `Readable.toWeb`: with it, a client that goes away
 * mid-response can crash the process ("Controller is already closed", nodejs/node#64529).
 * Cancelling (the client left) destroys the upstream body, which returns the socket to the pool.
 */
function toWebStream(body: Readable): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let finished = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { value, done } = await chunks.next();
          if (finished) return;
          if (done) {
            finished = true;
            controller.close();
          } else controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        } catch (e) {
          if (!finished) {
            finished = true;
            controller.error(e);
          }
        }
      },
      cancel(reason) {
        finished = true;
        body.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

export type UndiciTransportOptions = { connections?: number; /** for tests: a resolver standing in for DNS */ lookup?: typeof dnsLookup };

export function createUndiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const pools = new Map<string, Pool>();
  const poolFor = (req: UpstreamRequest) => {
    const key = `${req.poolKey ?? ''}|${req.url.origin}`;
    let pool = pools.get(key);
    if (pool === undefined) {
      const connect = req.addressCheck ? { lookup: createGuardedLookup(req.addressCheck, options.lookup) } : {};
      pool = new Pool(req.url.origin, { connections: options.connections ?? 128, keepAliveTimeout: 30_000, connectTimeout: 5_000, connect });
      pools.set(key, pool);
    }
    return pool;
  };

  const transport: Transport = async (req) => {
    const headers: Record<string, string> = {};
    req.headers.forEach((value, key) => (headers[key] = value));
    let res;
    try {
      res = await poolFor(req).request({
        path: req.url.pathname + req.url.search,
        method: req.method as 'GET',
        headers,
        body: req.body === null ? null : Readable.fromWeb(req.body as import('node:stream/web').ReadableStream),
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      const kind = code === 'ETARGETREFUSED' ? 'refused' : CONNECT_CODES.has(code) ? 'connect' : TIMEOUT_CODES.has(code) ? 'timeout' : 'protocol';
      throw new UpstreamError(kind, `${code || 'error'}: ${(e as Error).message}`, { cause: e });
    }
    const out = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) out.append(key, v);
      else if (value !== undefined) out.set(key, value);
    }
    if (req.method === 'HEAD' || NULL_BODY_STATUS.has(res.statusCode)) {
      res.body.resume();
      return new Response(null, { status: res.statusCode, headers: out });
    }
    const length = Number(res.headers['content-length']);
    if (Number.isFinite(length) && length <= SMALL_BODY) {
      // Small bodies are read whole: the server then writes headers and body in one go.
      const bytes = new Uint8Array(await res.body.arrayBuffer());
      return new Response(bytes, { status: res.statusCode, headers: out });
    }
    return new Response(toWebStream(res.body), { status: res.statusCode, headers: out });
  };

  return {
    transport,
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}
