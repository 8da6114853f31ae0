// The ZooKeeper layout of DESIGN.md, as path builders and a path classifier.

export type TreePaths = ReturnType<typeof createTreePaths>;

export function createTreePaths(root: string) {
  const r = root.replace(/\/+$/, '') || '/';
  const join = (...parts: string[]) => (r === '/' ? '' : r) + '/' + parts.join('/');
  return {
    root: r,
    services: join('services'),
    routes: join('routes'),
    config: join('config'),
    control: join('control'),
    service: (s: string) => join('services', s),
    instances: (s: string) => join('services', s, 'instances'),
    instance: (s: string, id: string) => join('services', s, 'instances', id),
    route: (name: string) => join('routes', name),
    configKey: (key: string) => join('config', key),
    version: join('control', 'version'),
    leader: join('control', 'leader'),
    pin: join('control', 'pin'),
    guard: join('control', 'guard'),
    guardRelease: join('control', 'guard-release'),
  };
}

export type PathKind =
  | { kind: 'servicesDir' }
  | { kind: 'routesDir' }
  | { kind: 'configDir' }
  | { kind: 'service'; service: string }
  | { kind: 'instancesDir'; service: string }
  | { kind: 'instance'; service: string; id: string }
  | { kind: 'route'; name: string }
  | { kind: 'configKey'; key: string };

/** Classifies a path under the root; undefined for paths zkedge does not read. */
export function classifyPath(paths: TreePaths, path: string): PathKind | undefined {
  if (path === paths.services) return { kind: 'servicesDir' };
  if (path === paths.routes) return { kind: 'routesDir' };
  if (path === paths.config) return { kind: 'configDir' };
  const rel = (dir: string) => (path.startsWith(dir + '/') ? path.slice(dir.length + 1).split('/') : undefined);
  const s = rel(paths.services);
  if (s !== undefined) {
    if (s.length === 1) return { kind: 'service', service: s[0] as string };
    if (s.length === 2 && s[1] === 'instances') return { kind: 'instancesDir', service: s[0] as string };
    if (s.length === 3 && s[1] === 'instances') return { kind: 'instance', service: s[0] as string, id: s[2] as string };
    return undefined;
  }
  const rt = rel(paths.routes);
  if (rt !== undefined) return rt.length === 1 ? { kind: 'route', name: rt[0] as string } : undefined;
  const c = rel(paths.config);
  if (c !== undefined) return c.length === 1 ? { kind: 'configKey', key: c[0] as string } : undefined;
  return undefined;
}
