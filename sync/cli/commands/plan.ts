// `zkedge plan`: capacity plan for the current (or a given) snapshot; exit 3 when an instance is over target.
import type { Command } from 'commander';
import { z } from 'zod';
import { planCapacity, type CapacityPlan, type ScenarioPlan } from '../../../shared/plan/plan-capacity.ts';
import type { ServiceDocument } from '../../../shared/schema/snapshot.ts';
import { storeKeys } from '../../../shared/snapshot/store-keys.ts';
import { createRedisStore } from '../../publish/redis-store.ts';
import { IntFlag, OperationError, UsageError, parseFlag, resolveCommon, type CommonFlags } from '../common.ts';

export const EXIT_OVER_TARGET = 3;

const RpsSchema = z.coerce.number({ message: 'expected a number of requests per second' }).finite().nonnegative({ message: 'expected requests per second ≥ 0' });

/** `a=1,b=2` → {a: 1, b: 2} with each value checked by `value`. */
function parsePairs(text: string, flag: string, value: z.ZodType<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^([^=]+)=(.+)$/.exec(part.trim());
    if (m === null) throw new UsageError(`${flag}: expected NAME=NUMBER[,NAME=NUMBER…], got ${JSON.stringify(part)}`);
    out[m[1]!] = parseFlag(value, m[2], `${flag} ${m[1]}`);
  }
  return out;
}

const pct = (u: number | undefined) => (u === undefined ? 'unknown' : `${(u * 100).toFixed(1)}%`);
const fmtRps = (r: number) => r.toFixed(1);

export function formatPlan(plan: CapacityPlan, notes: string[]): string {
  const lines = [...notes];
  lines.push(`target utilisation ${pct(plan.targetUtil)}`, '', 'routes: ' + Object.entries(plan.routes).map(([r, n]) => `${r}=${fmtRps(n)} rps`).join(', '), '');
  lines.push('service      instance        zone      weight     rps  capacity   util');
  for (const s of plan.services) {
    for (const i of s.instances) {
      lines.push(`${s.service.padEnd(12)} ${i.id.padEnd(15)} ${(i.zone ?? '-').padEnd(9)} ${String(i.weight).padStart(6)} ${fmtRps(i.rps).padStart(7)} ${(i.capacityRps === undefined ? 'unknown' : String(i.capacityRps)).padStart(9)} ${pct(i.util).padStart(7)}${i.over ? '  OVER' : ''}`);
    }
  }
  const scenarioLine = (s: ScenarioPlan) =>
    `  ${s.name}: max ${pct(s.maxUtil)}${s.over.length ? `, over target: ${s.over.map((o) => `${o.service}/${o.id} ${pct(o.util)}`).join(', ')}` : ''}${s.unserved.length ? `, NO INSTANCE LEFT for ${s.unserved.join(', ')}` : ''}`;
  lines.push('', 'N+1 (the single instance whose loss hurts most, per service):');
  for (const s of plan.services) if (s.nPlusOne) lines.push(scenarioLine(s.nPlusOne));
  if (plan.zoneLoss.length) {
    lines.push('', 'zone loss (its instances gone, their share spread as the edge spills):');
    for (const s of plan.zoneLoss) lines.push(scenarioLine(s));
  }
  lines.push('', 'advice:');
  for (const s of plan.services) {
    if (s.unknownCapacity.length) lines.push(`  ${s.service}: capacity unknown for ${s.unknownCapacity.join(', ')} (set capacityRps; never guessed)`);
    if (s.advice.weights) lines.push(`  ${s.service}: weights proportional to capacity: ${Object.entries(s.advice.weights).map(([id, w]) => `${id}=${w}`).join(', ')}`);
    if (s.advice.moreInstances) lines.push(`  ${s.service}: ${s.advice.moreInstances} more instance(s) of the median capacity (${s.advice.medianCapacity} rps) reach the target`);
  }
  lines.push('', plan.overTarget.length ? `${plan.overTarget.length} instance(s) over target now: exit ${EXIT_OVER_TARGET}` : 'no instance over target now');
  return lines.join('\n');
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('capacity plan for the current snapshot: per-instance load, N+1, zone loss, advice')
    .requiredOption('--rps <n>', 'total requests/s (shared equally by the routes unless --route-rps)')
    .option('--route-rps <list>', 'ROUTE=RPS[,ROUTE=RPS…]: requests/s per route (routes not named get 0)')
    .option('--edge-zones <list>', 'ZONE=FRACTION[,…]: where traffic enters, for zone preference (default: edges without a zone)')
    .option('--version <v>', 'plan a stored version instead of current')
    .option('--target-util <u>', 'utilisation above which an instance is flagged (0-1]', '0.8')
    .option('--json', 'machine-readable output')
    .action(async (o: { rps: string; routeRps?: string; edgeZones?: string; version?: string; targetUtil: string; json?: boolean }, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['redis', 'redisPrefix']);
      const rps = parseFlag(RpsSchema, o.rps, '--rps');
      const targetUtil = parseFlag(z.coerce.number().gt(0, { message: 'expected a utilisation above 0' }).max(1, { message: 'expected at most 1' }), o.targetUtil, '--target-util');
      const edgeZones = o.edgeZones === undefined ? {} : parsePairs(o.edgeZones, '--edge-zones', z.coerce.number().min(0).max(1));
      const zoneSum = Object.values(edgeZones).reduce((a, b) => a + b, 0);
      if (o.edgeZones !== undefined && Math.abs(zoneSum - 1) > 1e-6) throw new UsageError(`--edge-zones: fractions must sum to 1, got ${zoneSum}`);
      const store = createRedisStore({ url: common.redis, prefix: common.redisPrefix, keepVersions: Number.MAX_SAFE_INTEGER });
      try {
        const currentText = await store.redis.get(storeKeys(common.redisPrefix).current).catch((e: Error) => {
          throw new OperationError(`reading the store: ${e.message}`);
        });
        const version = o.version !== undefined ? parseFlag(IntFlag(1, Number.MAX_SAFE_INTEGER), o.version, '--version') : currentText === null ? undefined : Number(currentText);
        if (version === undefined) throw new UsageError('no snapshot: the store has no current version yet (is zkedge sync running?)');
        const snap = await store.readSnapshot(version);
        if (!snap.ok) throw new OperationError(snap.error.message);
        if (snap.value === undefined) throw new UsageError(`no snapshot: version ${version} is not in the store (see zkedge snapshot list)`);
        const { manifest, documents } = snap.value;
        const routes = Object.keys(manifest.routes);
        const notes: string[] = [`snapshot version ${version}`];
        let routeRps: Record<string, number>;
        if (o.routeRps !== undefined) {
          routeRps = parsePairs(o.routeRps, '--route-rps', RpsSchema);
          for (const r of Object.keys(routeRps)) if (!routes.includes(r)) throw new UsageError(`--route-rps: unknown route ${JSON.stringify(r)}; routes: ${routes.join(', ') || '(none)'}`);
        } else {
          if (routes.length === 0) throw new UsageError('no routes in the snapshot: nothing to plan');
          routeRps = Object.fromEntries(routes.map((r) => [r, rps / routes.length]));
          notes.push(`--rps ${rps} is shared equally by the ${routes.length} route(s) (give --route-rps to say otherwise)`);
        }
        const docs = new Map<string, ServiceDocument>(Object.entries(manifest.services).map(([name, hash]) => [name, documents.get(hash)!]));
        const plan = planCapacity(manifest, docs, { routeRps, edgeZones, targetUtil });
        console.log(o.json ? JSON.stringify({ version, notes, ...plan }, null, 2) : formatPlan(plan, notes));
        if (plan.overTarget.length > 0) process.exitCode = EXIT_OVER_TARGET;
      } finally {
        await store.close();
      }
    });
}
