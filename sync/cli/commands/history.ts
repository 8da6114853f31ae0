// Versioned rollout control: `snapshot list|show|diff`, `rollback`, `pin`, `unpin`.
import type { Command } from 'commander';
import { storeKeys } from '../../../shared/snapshot/store-keys.ts';
import type { ServiceDocument } from '../../../shared/schema/snapshot.ts';
import { z } from 'zod';
import { diffSnapshots, formatDiff, type Side } from '../../history/diff-snapshots.ts';
import { planCapacity } from '../../../shared/plan/plan-capacity.ts';
import { createRedisStore } from '../../publish/redis-store.ts';
import { createTreePaths } from '../../zookeeper/tree-paths.ts';
import { IntFlag, OperationError, parseFlag, resolveCommon, type Common, type CommonFlags } from '../common.ts';
import { updateNode } from '../write-node.ts';
import { withZk } from '../zk-session.ts';

async function withStore<T>(common: Common, work: (store: ReturnType<typeof createRedisStore>) => Promise<T>): Promise<T> {
  const store = createRedisStore({ url: common.redis, prefix: common.redisPrefix, keepVersions: Number.MAX_SAFE_INTEGER });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

async function loadSide(store: ReturnType<typeof createRedisStore>, version: number): Promise<Side> {
  const snap = await store.readSnapshot(version);
  if (!snap.ok) throw new OperationError(snap.error.message);
  if (snap.value === undefined) throw new OperationError(`version ${version} is not in the store (see zkedge snapshot list)`);
  return { manifest: snap.value.manifest, docs: snap.value.documents };
}

async function currentVersion(store: ReturnType<typeof createRedisStore>, prefix: string): Promise<number | undefined> {
  const v = await store.redis.get(storeKeys(prefix).current);
  return v === null ? undefined : Number(v);
}

export function registerHistoryCommands(program: Command): void {
  const snapshot = program.command('snapshot').description('read snapshot history from the store');
  snapshot
    .command('list')
    .description('versions, newest first: time, hash, what changed; * marks current, "pending" versions newer than a pin')
    .option('--limit <n>', 'how many versions', '20')
    .option('--json', 'machine-readable output')
    .action(async (o: { limit: string; json?: boolean }, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['redis', 'redisPrefix']);
      const limit = parseFlag(IntFlag(1, 10_000), o.limit, '--limit');
      await withStore(common, async (store) => {
        const keys = storeKeys(common.redisPrefix);
        const versions = (await store.redis.zrevrange(keys.history, 0, limit)).map(Number);
        const current = await currentVersion(store, common.redisPrefix);
        const rows = [];
        // newest first: each version's predecessor is the next one loaded, so each is read once
        const sides = new Map<number, Side>();
        const side = async (v: number) => sides.get(v) ?? sides.set(v, await loadSide(store, v)).get(v)!;
        for (const [i, v] of versions.slice(0, limit).entries()) {
          const prev = versions[i + 1];
          const summary = prev === undefined ? 'first kept version' : summarize(diffSnapshots(await side(prev), await side(v)));
          const { manifest } = await side(v);
          rows.push({ version: v, createdAt: manifest.createdAt, hash: manifest.hash, current: v === current, pending: current !== undefined && v > current, summary });
        }
        if (o.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return console.log('no snapshot published yet');
        for (const r of rows) console.log(`${r.current ? '*' : ' '} ${String(r.version).padStart(6)}  ${r.createdAt}  ${r.hash.slice(0, 12)}  ${r.pending ? '[pending] ' : ''}${r.summary}`);
      });
    });

  snapshot
    .command('show')
    .description('a version (default: current) with its service documents, as JSON')
    .argument('[version]')
    .action(async (versionText: string | undefined, _o, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['redis', 'redisPrefix']);
      await withStore(common, async (store) => {
        const version = versionText === undefined ? await currentVersion(store, common.redisPrefix) : parseFlag(IntFlag(1, Number.MAX_SAFE_INTEGER), versionText, 'VERSION');
        if (version === undefined) throw new OperationError('no current snapshot in the store yet');
        const side = await loadSide(store, version);
        const services: Record<string, ServiceDocument> = {};
        for (const [name, hash] of Object.entries(side.manifest.services)) services[name] = side.docs.get(hash)!;
        console.log(JSON.stringify({ manifest: side.manifest, services }, null, 2));
      });
    });

  snapshot
    .command('diff')
    .description('what changed from version A to version B, and how much traffic moves')
    .argument('<a>')
    .argument('<b>')
    .option('--json', 'machine-readable output')
    .option('--rps <n>', 'also show the utilisation change per instance at this load (shared equally by the routes)')
    .action(async (aText: string, bText: string, o: { json?: boolean; rps?: string }, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['redis', 'redisPrefix']);
      const a = parseFlag(IntFlag(1, Number.MAX_SAFE_INTEGER), aText, 'A');
      const b = parseFlag(IntFlag(1, Number.MAX_SAFE_INTEGER), bText, 'B');
      const rps = o.rps === undefined ? undefined : parseFlag(z.coerce.number().finite().nonnegative({ message: 'expected requests per second ≥ 0' }), o.rps, '--rps');
      await withStore(common, async (store) => {
        const [sa, sb] = [await loadSide(store, a), await loadSide(store, b)];
        const d = diffSnapshots(sa, sb);
        const util = rps === undefined ? undefined : utilisationChange(sa, sb, rps);
        if (o.json) return console.log(JSON.stringify(util === undefined ? d : { ...d, utilisation: util }, null, 2));
        console.log(formatDiff(d));
        if (util !== undefined) {
          console.log(`utilisation at ${rps} rps (shared equally by the routes):`);
          if (util.length === 0) console.log('  (no change)');
          for (const u of util) console.log(`  ${u.service}/${u.id}: ${fmtUtil(u.before)} → ${fmtUtil(u.after)}${u.after !== undefined && u.after > 1 ? '  OVER CAPACITY' : ''}`);
        }
      });
    });

  const pin = async (versionText: string, cmd: Command) => {
    const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'root', 'redis', 'redisPrefix']);
    const version = parseFlag(IntFlag(1, Number.MAX_SAFE_INTEGER), versionText, 'VERSION');
    await withStore(common, async (store) => void (await loadSide(store, version))); // refuse a version the store lacks
    const paths = createTreePaths(common.root);
    await withZk(common.zk, async (zk) => {
      await zk.mkdirp(paths.control);
      await updateNode(zk, paths.pin, () => JSON.stringify({ version, at: new Date().toISOString() }));
    });
    console.log(`pinned current to version ${version}; newer versions stay pending until zkedge unpin`);
  };
  program.command('rollback').description('pin current to an earlier version (durable; obeyed by every daemon)').argument('<version>').action(async (v: string, _o, cmd: Command) => pin(v, cmd));
  program.command('pin').description('pin current to a version').argument('<version>').action(async (v: string, _o, cmd: Command) => pin(v, cmd));
  program
    .command('unpin')
    .description('remove the pin: the newest version becomes current')
    .action(async (_o, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'root']);
      await withZk(common.zk, async (zk) => zk.remove(createTreePaths(common.root).pin).catch(() => undefined));
      console.log('unpinned: the newest version becomes current');
    });
}

const fmtUtil = (u: number | undefined) => (u === undefined ? 'unknown' : `${(u * 100).toFixed(1)}%`);

/** Per instance, utilisation before and after, where it changed (instances without capacity: unknown). */
function utilisationChange(a: Side, b: Side, rps: number) {
  const plan = (side: Side) => {
    const routes = Object.keys(side.manifest.routes);
    const docs = new Map(Object.entries(side.manifest.services).map(([n, h]) => [n, side.docs.get(h)!]));
    const p = planCapacity(side.manifest, docs, { routeRps: Object.fromEntries(routes.map((r) => [r, rps / Math.max(1, routes.length)])), edgeZones: {}, targetUtil: 1 });
    return new Map(p.services.flatMap((s) => s.instances.map((i) => [`${s.service}\u0000${i.id}`, i] as const)));
  };
  const [pa, pb] = [plan(a), plan(b)];
  const keys = [...new Set([...pa.keys(), ...pb.keys()])].sort();
  return keys
    .map((k) => {
      const [service, id] = k.split('\u0000') as [string, string];
      return { service, id, before: pa.get(k)?.util, after: pb.get(k)?.util, rpsBefore: pa.get(k)?.rps ?? 0, rpsAfter: pb.get(k)?.rps ?? 0 };
    })
    .filter((u) => Math.abs(u.rpsBefore - u.rpsAfter) > 1e-9);
}

function summarize(d: ReturnType<typeof diffSnapshots>): string {
  const parts: string[] = [];
  const count = (c: string) => d.instances.filter((i) => i.change === c).length;
  if (d.servicesAdded.length) parts.push(`+${d.servicesAdded.length} services`);
  if (d.servicesRemoved.length) parts.push(`-${d.servicesRemoved.length} services`);
  if (count('added')) parts.push(`+${count('added')} instances`);
  if (count('removed')) parts.push(`-${count('removed')} instances`);
  if (count('weight')) parts.push(`${count('weight')} weight changes`);
  if (d.routes.length) parts.push(`${d.routes.length} route changes`);
  if (d.configChanged.length) parts.push(`${d.configChanged.length} config changes`);
  return parts.join(', ') || 'same content as the version before';
}
