// Sends one request to one service: pick an instance, forward, retry idempotent requests whose
// connection failed on another instance. A body is never replayed.
import { ZkedgeError, err, ok, type Result } from '../../shared/errors.ts';
import type { Random } from '../../shared/select/alias-table.ts';
import { upstreamHeaders, stripHopByHop } from './headers.ts';
import type { InstanceView, ServiceView } from './service-view.ts';
import { UpstreamError, type Transport } from './transport.ts';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);

export type ProxyInput = {
  request: Request;
  url: URL;
  /** Path to send upstream (after stripPrefix). */
  path: string;
  service: ServiceView;
  transport: Transport;
  random: Random;
  clientIp: string | undefined;
  trustForwarded: boolean;
};

/** Weighted pick among instances not tried yet; the alias table serves the common first attempt. */
function pickInstance(view: ServiceView, tried: ReadonlySet<string>, random: Random): InstanceView | undefined {
  if (tried.size === 0) return view.instances[view.alias.pick(random)];
  const rest = view.instances.filter((i) => !tried.has(i.id));
  let total = 0;
  for (const i of rest) total += i.weight;
  let r = random() * total;
  for (const i of rest) {
    r -= i.weight;
    if (r < 0) return i;
  }
  return rest[rest.length - 1];
}

export function targetUrl(base: URL, path: string, search: string): URL {
  const basePath = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
  const url = new URL(base.href);
  url.pathname = basePath + (path.startsWith('/') ? path : `/${path}`);
  url.search = search;
  return url;
}

export async function proxyToService(input: ProxyInput): Promise<Result<Response>> {
  const { service, request } = input;
  const cfg = service.doc.config;
  const canRetry = IDEMPOTENT.has(request.method) && request.body === null;
  const attempts = canRetry ? 1 + cfg.retries : 1;
  const headers = upstreamHeaders(request.headers, {
    clientIp: input.clientIp,
    proto: input.url.protocol.replace(':', ''),
    host: request.headers.get('host') ?? input.url.host,
    trustForwarded: input.trustForwarded,
  });
  const tried = new Set<string>();
  let last: ZkedgeError = new ZkedgeError('no_backend', `service ${service.name} has no instance with weight above 0 that the edge may send to`);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const instance = pickInstance(service, tried, input.random);
    if (instance === undefined) break;
    tried.add(instance.id);
    try {
      const res = await input.transport({
        url: targetUrl(instance.url, input.path, input.url.search),
        method: request.method,
        headers,
        body: request.body,
        timeoutMs: cfg.timeoutMs,
      });
      const out = new Response(res.body, { status: res.status, statusText: res.statusText, headers: stripHopByHop(new Headers(res.headers)) });
      return ok(out);
    } catch (e) {
      const kind = e instanceof UpstreamError ? e.kind : 'protocol';
      last =
        kind === 'timeout'
          ? new ZkedgeError('upstream_timeout', `instance ${instance.id} of ${service.name} did not answer within ${cfg.timeoutMs} ms`, { cause: e })
          : new ZkedgeError('upstream_unavailable', `instance ${instance.id} of ${service.name} failed: ${(e as Error).message}`, { cause: e });
      if (kind === 'protocol') break; // bytes may have reached the backend: never retry
    }
  }
  return err(last);
}
