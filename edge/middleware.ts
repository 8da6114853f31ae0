// `zkedge(options)`: middleware for users' own Hono apps. It puts the current snapshot's config
// values (Edge Config style) and a `pick(service)` helper on the context, so an edge function can
// read `snapshot.config` or route by itself with the plane's own selection rules.
import type { MiddlewareHandler } from 'hono';
import { errorBody } from '../shared/errors.ts';
import type { Random } from '../shared/select/alias-table.ts';
import { createInstancePicker, type InstancePicker } from './core/instance-picker.ts';
import type { SnapshotCache } from './core/snapshot-cache.ts';

export type PickedInstance = { id: string; url: string; zone: string | undefined };

export type ZkedgeContext = {
  /** Version of the snapshot this request sees. */
  version: number;
  /** `snapshot.config`: every value under /zkedge/config. Immutable for the request. */
  config: Readonly<Record<string, unknown>>;
  /** An instance of `service` by its lb rules, zone preference and ejection; undefined when none. */
  pick(service: string, options?: { stickyKey?: string }): Promise<PickedInstance | undefined>;
};

/** Hono env type for apps using the middleware: `new Hono<ZkedgeEnv>()`. */
export type ZkedgeEnv = { Variables: { zkedge: ZkedgeContext } };

export type ZkedgeMiddlewareOptions = {
  cache: SnapshotCache;
  /** Called before each request (e.g. a throttled `cache.refresh()` on Workers). */
  refresh?: () => Promise<void>;
  picker?: InstancePicker;
  random?: Random;
  zone?: string;
  now?: () => number;
};

/** Answers 503 `no_snapshot` until a snapshot is loaded; then sets `c.var.zkedge`. */
export function zkedge(options: ZkedgeMiddlewareOptions): MiddlewareHandler<ZkedgeEnv> {
  const picker = options.picker ?? createInstancePicker();
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  return async (c, next) => {
    await options.refresh?.();
    const snap = options.cache.current();
    if (snap === undefined) return c.json(errorBody('no_snapshot', 'no snapshot loaded yet'), 503);
    c.set('zkedge', {
      version: snap.version,
      config: snap.manifest.config,
      async pick(service, opts) {
        const view = await options.cache.service(snap, service);
        if (!view.ok || view.value === undefined) return undefined;
        const inst = picker.pick(view.value, { random, now: now(), stickyKey: opts?.stickyKey, localZone: options.zone }, new Set());
        return inst === undefined ? undefined : { id: inst.id, url: inst.url.href, zone: inst.zone };
      },
    });
    await next();
    c.res.headers.set('x-zkedge-version', String(snap.version));
  };
}
