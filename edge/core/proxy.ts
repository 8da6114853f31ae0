// Sends one request to one service: pick an instance, forward, retry idempotent requests whose
// connection failed on another instance. A body is never replayed.
import { ZkedgeError, err, ok, type Result } from '../../shared/errors.ts';
import { upstreamHeaders, stripHopByHop } from './headers.ts';
import type { InstancePicker, PickContext } from './instance-picker.ts';
import type { ServiceView } from './service-view.ts';
import { UpstreamError, type Transport } from './transport.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

export type ProxyInput = {
  request: Request;
  url: URL;
  /** Path to send upstream (after stripPrefix). */
  path: string;
  service: ServiceView;
  transport: Transport;
  picker: InstancePicker;
  ctx: PickContext;
  now: () => number;
  clientIp: string | undefined;
  /** The x-forwarded-for chain to pass on (already cut to what the edge trusts). */
  forwardedFor: string | undefined;
};

export function targetUrl(base: URL, path: string, search: string): URL {
  const basePath = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
  const url = new URL(base.href);
  url.pathname = basePath + (path.startsWith('/') ? path : `/${path}`);
  url.search = search;
  return url;
}

export async function proxyToService(input: ProxyInput): Promise<Result<Response>> {
  const { service, request, picker } = input;
  const cfg = service.doc.config;
  // GET and HEAD carry no body: not touching `request.body` spares building one (Node adapter).
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  const canRetry = IDEMPOTENT.has(request.method) && !hasBody;
  const attempts = canRetry ? 1 + cfg.retries : 1;
  const headers = upstreamHeaders(request.headers, {
    clientIp: input.clientIp,
    proto: input.url.protocol.replace(':', ''),
    host: input.url.host, // what the route was matched on
    forwardedFor: input.forwardedFor,
  });
  const tried = new Set<string>();
  let last: ZkedgeError | undefined;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const instance = picker.pick(service, { ...input.ctx, now: input.now() }, tried);
    if (instance === undefined) break;
    tried.add(instance.id);
    picker.started(service.name, instance.id);
    try {
      const res = await input.transport({
        url: targetUrl(instance.url, input.path, input.url.search),
        method: request.method,
        headers,
        body: hasBody ? request.body : null,
        timeoutMs: cfg.timeoutMs,
        addressCheck: service.policy.reasonRefusedAddress,
        poolKey: service.poolKey,
      });
      picker.succeeded(service.name, instance.id, input.now());
      return ok(withoutHopByHop(res));
    } catch (e) {
      const kind = e instanceof UpstreamError ? e.kind : 'protocol';
      if (kind === 'connect' || kind === 'timeout') picker.failed(service.name, instance.id, input.now());
      last =
        kind === 'refused'
          ? new ZkedgeError('no_backend', `instance ${instance.id} of ${service.name} refused: ${(e as Error).message}`, { cause: e })
          : kind === 'timeout'
          ? new ZkedgeError('upstream_timeout', `instance ${instance.id} of ${service.name} did not answer within ${cfg.timeoutMs} ms`, { cause: e })
          : new ZkedgeError('upstream_unavailable', `instance ${instance.id} of ${service.name} failed: ${(e as Error).message}`, { cause: e });
      if (kind === 'protocol') break; // bytes may have reached the backend: never retry
    } finally {
      picker.finished(service.name, instance.id);
    }
  }
  return err(last ?? new ZkedgeError('no_backend', `service ${service.name} has no instance with weight above 0 that the edge may send to`));
}

/** Strips hop-by-hop response headers in place; a response with immutable headers (fetch on Workers) is copied. */
function withoutHopByHop(res: Response): Response {
  try {
    stripHopByHop(res.headers);
    return res;
  } catch {
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: stripHopByHop(new Headers(res.headers)) });
  }
}
