// Route matching: exact host first, then "*"; within a host the longest prefix on a segment boundary.

export type MatchableRoute = { host: string; pathPrefix: string };
export type RouteMatch<R> = { name: string; route: R };

export type RouteTable<R extends MatchableRoute> = {
  /** Finds the route for a request; `host` may carry a port and any case. Pure and allocation-light. */
  match(host: string, path: string): RouteMatch<R> | undefined;
};

/** True when `prefix` matches `path` on a segment boundary: `/v1` matches `/v1` and `/v1/x`, not `/v10`. */
export function prefixMatches(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* '/' */;
}

/** Strips a port and lower-cases; IPv6 literals keep their brackets. */
export function normaliseHost(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * Builds an immutable table from named routes. Routes of one host are ordered by prefix length,
 * longest first (ties by name, so the order never depends on insertion).
 */
export function createRouteTable<R extends MatchableRoute>(routes: Record<string, R>): RouteTable<R> {
  const byHost = new Map<string, RouteMatch<R>[]>();
  for (const name of Object.keys(routes).sort()) {
    const route = routes[name] as R;
    const list = byHost.get(route.host) ?? [];
    list.push({ name, route });
    byHost.set(route.host, list);
  }
  for (const list of byHost.values()) list.sort((a, b) => b.route.pathPrefix.length - a.route.pathPrefix.length);
  const find = (list: RouteMatch<R>[] | undefined, path: string) => list?.find((m) => prefixMatches(m.route.pathPrefix, path));
  return {
    match(host, path) {
      return find(byHost.get(normaliseHost(host)), path) ?? find(byHost.get('*'), path);
    },
  };
}
