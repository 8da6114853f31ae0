// createApp(deps): the runtime-neutral Hono edge. Runtimes inject the snapshot cache, the transport,
// the client address and randomness; node.ts and worker.ts are the only composition roots.
import { Hono, type Context } from 'hono';
import { errorBody, httpStatusOf, type ErrorCode } from '../shared/errors.ts';
import type { Random } from '../shared/select/alias-table.ts';
import { proxyToService } from './core/proxy.ts';
import type { SnapshotCache } from './core/snapshot-cache.ts';
import type { Transport } from './core/transport.ts';
import { timingSafeEqual } from './core/timing-safe-equal.ts';
import { createInstancePicker, type InstancePicker } from './core/instance-picker.ts';
import { trustedChain } from './core/headers.ts';
import { createStickyKeyReader, type StickyKeyReader } from '../shared/route/sticky-key.ts';
import { stickyBucket } from '../shared/select/sticky-hash.ts';
import type { LoadedSnapshot, RouteSplit } from './core/loaded-snapshot.ts';
import type { ServiceView } from './core/service-view.ts';
import type { RouteMatch } from '../shared/route/match-route.ts';
import type { ManifestRoute } from '../shared/schema/snapshot.ts';

export type EdgeDeps = {
  cache: SnapshotCache;
  transport: Transport;
  /** The peer address of the request, as the runtime knows it. */
  clientIp: (c: Context) => string | undefined;
  random?: Random;
  now?: () => number;
  adminToken?: string;
  /** Health says "stale" when the snapshot was loaded longer ago than this. */
  staleAfterMs?: number;
  /** Proxies in front of the edge whose x-forwarded-for entries are trusted (0: ignore the header). */
  trustedHops?: number;
  /** The edge's own zone for this request (Node: --zone; Workers: from request.cf). */
  localZone?: (c: Context) => string | undefined;
  /** Per-process selection state; one is created when not given. */
  picker?: InstancePicker;
  /** Called once per request with its outcome (Node: Prometheus metrics). */
  observe?: (outcome: { status: number; durationMs: number; internal: boolean }) => void;
  /** Called before a request is routed (Workers re-check `current` here). */
  beforeRoute?: () => Promise<void>;
};

/** Finagle Dtab-Local style preview of one split side, for holders of the admin token. */
export const PREVIEW_HEADER = 'x-zkedge-preview';
export const PREVIEW_TOKEN_HEADER = 'x-zkedge-token';

const INTERNAL_PATH = /^\/*_zkedge(\/|%2f|$)/i;

type Routed = { match: RouteMatch<ManifestRoute>; view: ServiceView; stickyKey: StickyKeyReader['stickyKey'] };

export function createApp(deps: EdgeDeps): Hono {
  const random = deps.random ?? Math.random;
  const now = deps.now ?? Date.now;
  const staleAfterMs = deps.staleAfterMs ?? 5 * 60_000;
  const picker = deps.picker ?? createInstancePicker();
  const app = new Hono();

  const fail = (c: Context, code: ErrorCode, message: string) => c.json(errorBody(code, message), httpStatusOf[code] as 400);

  app.use('*', async (c, next) => {
    const started = deps.observe ? performance.now() : 0;
    await next();
    deps.observe?.({ status: c.res.status, durationMs: performance.now() - started, internal: INTERNAL_PATH.test(c.req.path) });
    const snap = deps.cache.current();
    if (snap !== undefined) c.res.headers.set('x-zkedge-version', String(snap.version));
  });

  app.get('/_zkedge/health', (c) => {
    const snap = deps.cache.current();
    if (snap === undefined) return fail(c, 'no_snapshot', 'no snapshot loaded yet');
    // Stale means "not confirmed current for a while" (store unreachable), not "unchanged for a while".
    const stale = now() - (deps.cache.checkedAt() ?? snap.loadedAt) > staleAfterMs;
    return c.json({ status: stale ? 'stale' : 'ok', version: snap.version });
  });

  app.get('/_zkedge/status', (c) => {
    if (deps.adminToken !== undefined && !timingSafeEqual(c.req.header('authorization') ?? '', `Bearer ${deps.adminToken}`)) {
      return fail(c, 'unauthorized', 'send Authorization: Bearer <ZKEDGE_ADMIN_TOKEN>');
    }
    const snap = deps.cache.current();
    if (snap === undefined) return fail(c, 'no_snapshot', deps.cache.lastError() ?? 'no snapshot loaded yet');
    return c.json({
      version: snap.version,
      hash: snap.manifest.hash,
      loadedAt: new Date(snap.loadedAt).toISOString(),
      checkedAt: new Date(deps.cache.checkedAt() ?? snap.loadedAt).toISOString(),
      ageMs: now() - (deps.cache.checkedAt() ?? snap.loadedAt),
      createdAt: snap.manifest.createdAt,
      lastError: deps.cache.lastError() ?? null,
    });
  });

  app.all('*', async (c) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    // Never proxied, also as "//_zkedge/x" or "/_zkedge%2Fx", which a backend might normalise.
    if (INTERNAL_PATH.test(url.pathname)) return fail(c, 'not_found', `no such endpoint ${c.req.path}`);
    if (req.headers.has('content-length') && req.headers.has('transfer-encoding')) {
      return fail(c, 'invalid_input', 'request has both Content-Length and Transfer-Encoding (RFC 9112 §6.3): refused');
    }
    if (deps.beforeRoute) await deps.beforeRoute();
    const clientIp = deps.clientIp(c);
    const forwarded = trustedChain(req.headers.get('x-forwarded-for'), clientIp, deps.trustedHops ?? 0);
    const stickyKeys = createStickyKeyReader(req.headers, forwarded.client);
    // Twice at most: a service document that fails its hash makes the cache fall back to the
    // previous snapshot, and this request is routed again by that one.
    let routed: Routed | Response | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const snap = deps.cache.current();
      if (snap === undefined) return fail(c, 'no_snapshot', deps.cache.lastError() ?? 'no snapshot loaded yet');
      routed = await route(c, snap, url, stickyKeys);
      if (routed instanceof Response && deps.cache.current() !== snap && deps.cache.current() !== undefined) continue;
      break;
    }
    if (routed === undefined || routed instanceof Response) return routed ?? fail(c, 'no_snapshot', 'no snapshot loaded yet');
    const { match, view } = routed;
    const prefix = match.route.pathPrefix;
    const path = match.route.stripPrefix && prefix !== '/' ? url.pathname.slice(prefix.length) || '/' : url.pathname;
    const res = await proxyToService({
      request: req,
      url,
      path,
      service: view,
      transport: deps.transport,
      picker,
      now,
      ctx: { random, now: now(), stickyKey: routed.stickyKey(view.doc.config.stickyKey), localZone: deps.localZone?.(c) },
      clientIp,
      forwardedFor: forwarded.chain,
    });
    return res.ok ? res.value : fail(c, res.error.code, res.error.message);
  });

  app.onError((e, c) => fail(c, 'upstream_unavailable', `edge error: ${e.message}`));

  /**
   * The split side: a preview header (with the admin token) names one; a sticky route maps the
   * user's bucket through the published table; otherwise by weight.
   */
  function chooseSide(c: Context, routeName: string, stickySpec: string | undefined, split: RouteSplit, client: StickyKeyReader): number | Response {
    const preview = c.req.header(PREVIEW_HEADER);
    if (preview !== undefined) {
      if (deps.adminToken === undefined || !timingSafeEqual(c.req.header(PREVIEW_TOKEN_HEADER) ?? '', deps.adminToken)) {
        return fail(c, 'unauthorized', `${PREVIEW_HEADER} needs ${PREVIEW_TOKEN_HEADER}: <ZKEDGE_ADMIN_TOKEN> (and the edge must have one set)`);
      }
      const index = split.services.indexOf(preview);
      if (index === -1) return fail(c, 'invalid_input', `${PREVIEW_HEADER}: route ${routeName} has no side ${JSON.stringify(preview)}; its sides: ${split.services.join(', ')}`);
      return index;
    }
    if (split.bucketSide !== undefined) {
      const key = client.stickyKey(stickySpec);
      if (key !== undefined) {
        const index = split.bucketSide(stickyBucket(routeName, key));
        if (index >= 0) return index;
      }
    }
    return split.alias.pick(random);
  }

  /** Matches the route, picks the split side and loads its service; a Response when that fails. */
  async function route(c: Context, snap: LoadedSnapshot, url: URL, client: StickyKeyReader): Promise<Routed | Response> {
    // The URL's host is the request's Host on both runtimes (Node builds the URL from it; on Workers
    // the URL is what the client asked for), lower-cased and without a default port.
    const match = snap.routes.match(url.host, url.pathname);
    if (match === undefined) return fail(c, 'no_route', `no route for ${url.host}${url.pathname}`);
    const split = snap.splits.get(match.name)!;
    const side = chooseSide(c, match.name, match.route.stickyKey, split, client);
    if (side instanceof Response) return side;
    const serviceName = split.services[side];
    if (serviceName === undefined) return fail(c, 'no_backend', `route ${match.name} has no side with weight above 0`);
    const view = await deps.cache.service(snap, serviceName);
    if (!view.ok) return fail(c, 'no_backend', `service ${serviceName} could not be loaded: ${view.error.message}`);
    if (view.value === undefined || view.value.instances.length === 0) {
      return fail(c, 'no_backend', `service ${serviceName} has no instance to send to (all drained, refused or missing)`);
    }
    return { match, view: view.value, stickyKey: client.stickyKey };
  }
  app.notFound((c) => fail(c, 'no_route', 'no route'));
  return app;
}
