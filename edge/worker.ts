// Composition root of the Workers edge: env → frozen config, KV source, lazy snapshot cache, fetch
// transport, Hono app, publish endpoints. State lives per isolate; `current` is re-read at most every ZKEDGE_REFRESH_MS.
import { z } from 'zod';
import { errorBody } from '../shared/errors.ts';
import type { Logger } from '../shared/log.ts';
import { describeIssues } from '../shared/schema/parse.ts';
import { createApp } from './app.ts';
import { ZoneMapSchema, createZoneResolver } from './worker/zone-of.ts';
import { createSnapshotCache, type SnapshotCache } from './core/snapshot-cache.ts';
import { createKvSource } from './sources/kv-source.ts';
import { createFetchTransport } from './worker/fetch-transport.ts';
import { createPublishEndpoints } from './worker/publish-endpoints.ts';

const MAX_MS = 24 * 3_600_000;

/** Milliseconds from a var: `[vars]` strings arrive as strings, bare TOML numbers as numbers. */
const msVar = () =>
  z.preprocess(
    (v) => (typeof v === 'number' ? String(v) : v),
    z
      .string({ error: 'expected a whole number of milliseconds as a string, such as "5000"' })
      .regex(/^\d{1,9}$/, { error: (iss) => `expected a whole number of milliseconds such as "5000", got ${JSON.stringify(iss.input)}` })
      .transform(Number)
      .pipe(z.number().max(MAX_MS, { error: `expected at most ${MAX_MS} (one day)` })),
  );

const WorkerEnvSchema = z.object({
  ZKEDGE_KV: z.custom<KVNamespace>((v) => typeof (v as { get?: unknown } | undefined)?.get === 'function', {
    error: 'expected a KV namespace binding: add [[kv_namespaces]] binding = "ZKEDGE_KV" to wrangler.toml',
  }),
  ZKEDGE_REFRESH_MS: msVar().default(5_000),
  ZKEDGE_STALE_AFTER_MS: msVar().optional(),
  ZKEDGE_ADMIN_TOKEN: z.string().min(1, { error: 'expected a non-empty token, or leave the secret unset' }).optional(),
  // The daemon's `--kv-push` sends it; without it the publish endpoints refuse every request.
  ZKEDGE_PUBLISH_TOKEN: z.string().min(1, { error: 'expected a non-empty token, or leave the secret unset' }).optional(),
  ZKEDGE_ZONE: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'expected a zone name such as "eu-west"' }).optional(),
  ZKEDGE_ZONE_MAP: ZoneMapSchema.optional(),
});
type WorkerConfig = Readonly<z.infer<typeof WorkerEnvSchema>>;

/** JSON lines on the Workers console (Workers Logs / `wrangler tail` index them). Never gets secrets. */
function createConsoleLogger(bindings: Record<string, unknown>): Logger {
  const write = (out: (line: string) => void, level: string) => (fields: Record<string, unknown>, msg: string) =>
    out(JSON.stringify({ level, ...bindings, ...fields, msg }));
  return {
    info: write(console.log, 'info'),
    warn: write(console.warn, 'warn'),
    error: write(console.error, 'error'),
    child: (more) => createConsoleLogger({ ...bindings, ...more }),
  };
}

/**
 * Re-reads `current` when `refreshMs` has passed since the last check, else waits for the last
 * check (which may still be running, e.g. the isolate's first load). Never throws.
 * IMPORTANT: a check is shared by the requests that arrive while it runs; `waitUntil` keeps it
 * alive when the request that started it ends early (client gone), so the others are not left waiting.
 */
function createThrottledRefresh(cache: SnapshotCache, refreshMs: number, log: Logger): (ctx: ExecutionContext) => Promise<void> {
  let lastCheckAt = Number.NEGATIVE_INFINITY;
  let latest: Promise<void> = Promise.resolve();
  let lastFailure: string | undefined;
  const check = async () => {
    const r = await cache.refresh();
    const failure = r.ok ? undefined : r.error.message;
    if (failure === lastFailure) return;
    if (failure !== undefined) log.warn({ err: failure }, 'snapshot refresh failed; serving the last good snapshot');
    else log.info({ version: cache.current()?.version }, 'snapshot store reachable again');
    lastFailure = failure;
  };
  return (ctx) => {
    const now = Date.now();
    if (now - lastCheckAt >= refreshMs) {
      lastCheckAt = now;
      latest = check();
      ctx.waitUntil(latest);
    }
    return latest;
  };
}

type Edge = (request: Request, ctx: ExecutionContext) => Promise<Response>;

function createEdge(config: WorkerConfig, log: Logger): Edge {
  const cache = createSnapshotCache({ source: createKvSource(config.ZKEDGE_KV), mode: 'lazy', log });
  const zoneOf = createZoneResolver(config.ZKEDGE_ZONE_MAP ?? {}, config.ZKEDGE_ZONE);
  const refreshIfDue = createThrottledRefresh(cache, config.ZKEDGE_REFRESH_MS, log);
  const app = createApp({
    cache,
    transport: createFetchTransport(),
    // Cloudflare sets CF-Connecting-IP on every request and overwrites a client-sent one.
    clientIp: (c) => c.req.header('cf-connecting-ip'),
    ...(config.ZKEDGE_STALE_AFTER_MS !== undefined ? { staleAfterMs: config.ZKEDGE_STALE_AFTER_MS } : {}),
    ...(config.ZKEDGE_ADMIN_TOKEN !== undefined ? { adminToken: config.ZKEDGE_ADMIN_TOKEN } : {}),
    localZone: (c) => zoneOf(c.req.raw.cf as { colo?: unknown; country?: unknown; continent?: unknown } | undefined),
  });
  const publish = createPublishEndpoints({ kv: config.ZKEDGE_KV, token: config.ZKEDGE_PUBLISH_TOKEN, log, servedVersion: () => cache.current()?.version });
  return async (request, ctx) => {
    const published = await publish(request); // PUT /_zkedge/snapshot and /_zkedge/current only
    if (published !== undefined) return published;
    // Before routing and before health/status alike, so all of them see the same `current`.
    await refreshIfDue(ctx);
    return app.fetch(request, undefined, ctx);
  };
}

/** A bad env is a deploy mistake: every request answers 500 naming the variable, until it is fixed. */
function createMisconfiguredEdge(message: string): Edge {
  return async () => Response.json(errorBody('invalid_input', message), { status: 500 });
}

let edge: Edge | undefined;

function edgeFor(env: unknown): Edge {
  if (edge !== undefined) return edge;
  const log = createConsoleLogger({ component: 'edge-worker' });
  const parsed = WorkerEnvSchema.safeParse(env);
  if (parsed.success) {
    edge = createEdge(Object.freeze(parsed.data), log);
  } else {
    const message = `invalid Worker configuration: ${describeIssues(parsed.error.issues)} (set it in wrangler.toml [vars] or as a secret)`;
    log.error({ err: message }, 'configuration refused; answering 500');
    edge = createMisconfiguredEdge(message);
  }
  return edge;
}

export default {
  fetch: (request, env, ctx) => edgeFor(env)(request, ctx),
} satisfies ExportedHandler<unknown>;
