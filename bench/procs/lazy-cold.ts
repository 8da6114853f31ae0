// A Worker's cold start, approximated in Node: a fresh snapshot cache in lazy mode (as
// edge/worker.ts runs it) loads `current`, the manifest and the one service a request routes to,
// from an in-memory source holding the store's texts (so no I/O is timed, only CPU).
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { silentLogger } from '../../shared/log.ts';
import { storeKeys } from '../../shared/snapshot/store-keys.ts';
import { createSnapshotCache } from '../../edge/core/snapshot-cache.ts';
import type { SnapshotSource } from '../../edge/core/snapshot-source.ts';
import { arg, serveParent } from './ipc.ts';

const keys = storeKeys(arg('prefix'));
const host = arg('host');
const redis = new Redis(arg('redis'));
const current = Number(await redis.get(keys.current));
const manifestText = (await redis.get(keys.snapshot(current)))!;
const hashes = Object.values((JSON.parse(manifestText) as { services: Record<string, string> }).services);
const docs = new Map<string, string>();
for (let i = 0; i < hashes.length; i += 500) {
  const part = hashes.slice(i, i + 500);
  (await redis.mget(...part.map(keys.service))).forEach((t, j) => t !== null && docs.set(part[j]!, t));
}
redis.disconnect();
const source: SnapshotSource = {
  currentVersion: async () => current,
  manifest: async (v) => (v === current ? manifestText : null),
  documents: async (hs) => hs.map((h) => docs.get(h) ?? null),
};
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One cold load: new cache, refresh, match the route, load its service. */
async function coldLoad() {
  const c0 = cpu();
  const t0 = performance.now();
  const cache = createSnapshotCache({ source, mode: 'lazy', log: silentLogger });
  const r = await cache.refresh();
  const snap = cache.current();
  if (!r.ok || snap === undefined) throw new Error(`lazy refresh failed: ${r.ok ? 'no snapshot' : r.error.message}`);
  const match = snap.routes.match(host, '/');
  if (match === undefined) throw new Error(`no route for ${host}`);
  const split = snap.splits.get(match.name)!;
  const view = await cache.service(snap, split.services[0]!);
  if (!view.ok || view.value === undefined) throw new Error('the routed service did not load');
  return { wallMs: performance.now() - t0, cpuMs: cpu() - c0, instances: view.value.instances.length };
}

serveParent({ manifestBytes: manifestText.length, version: current }, {
  run: async (m) => {
    const first = await coldLoad(); // the first in this process: JIT-cold too, as in a new isolate
    const warm = [];
    for (let i = 0; i < Number(m.repeats); i++) warm.push(await coldLoad());
    return { first, warm };
  },
});
