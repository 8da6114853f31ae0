// Transport on Workers: the runtime's own `fetch`, streaming both bodies, never following redirects.
import { UpstreamError, type Transport } from '../core/transport.ts';

/**
 * `timeoutMs` bounds the wait for the response head, like undici's headersTimeout on Node: the
 * timer stops once headers arrive, so a long streamed body is not cut off mid-way (which
 * `AbortSignal.timeout` would do, as it also aborts the body). A rejection before any response
 * is `connect`: Workers' fetch does not say whether bytes reached the backend, and the proxy only
 * retries requests without a body, so at worst an idempotent request is sent twice.
 */
export function createFetchTransport(): Transport {
  return async (req) => {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`no response within ${req.timeoutMs} ms`, 'TimeoutError'));
    }, req.timeoutMs);
    try {
      // Workers stream a ReadableStream request body without the `duplex: 'half'` that Node's fetch wants.
      return await fetch(req.url.href, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual', signal: controller.signal });
    } catch (e) {
      if (timedOut) throw new UpstreamError('timeout', `no response from ${req.url.origin} within ${req.timeoutMs} ms`, { cause: e });
      throw new UpstreamError('connect', `fetch to ${req.url.origin} failed: ${(e as Error).message}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  };
}
