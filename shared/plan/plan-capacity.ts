// Capacity plan for a snapshot: projected requests/s per instance from the routes' shares, the
// splits and the instance weights, with the edge's own zone rule; utilisation against capacityRps;
// N+1 and zone-loss scenarios; advice. Pure, so the CLI, the daemon and tests share it.
import { own } from '../own.ts';
import { createTargetPolicy, hostOf } from '../net/allowed-targets.ts';
import type { Manifest, ServiceDocument } from '../schema/snapshot.ts';
import { zoneShares, type ZoneWeights } from '../select/zones.ts';

export type PlanInput = {
  /** Requests/s per route. */
  routeRps: Record<string, number>;
  /** Where traffic enters: edge zone → fraction (summing to 1). Empty: edges without a zone. */
  edgeZones: Record<string, number>;
  targetUtil: number;
};

export type InstancePlan = { service: string; id: string; zone: string | undefined; weight: number; rps: number; capacityRps: number | undefined; util: number | undefined; over: boolean };
export type ScenarioPlan = { name: string; lost: string[]; maxUtil: number | undefined; over: InstancePlan[]; unserved: string[] };
export type ServicePlan = {
  service: string;
  rps: number;
  instances: InstancePlan[];
  unknownCapacity: string[];
  nPlusOne: ScenarioPlan | undefined;
  advice: { weights: Record<string, number> | undefined; moreInstances: number | undefined; medianCapacity: number | undefined };
};
export type CapacityPlan = { targetUtil: number; routes: Record<string, number>; services: ServicePlan[]; zoneLoss: ScenarioPlan[]; overTarget: InstancePlan[] };

type Routable = { id: string; zone: string | undefined; weight: number; capacityRps: number | undefined };

function routable(doc: ServiceDocument): Routable[] {
  const policy = createTargetPolicy(doc.config.allowedTargets);
  return Object.entries(doc.instances)
    .filter(([, i]) => i.weight > 0 && policy.isAllowed(hostOf(new URL(i.url))))
    .map(([id, i]) => ({ id, zone: i.zone, weight: i.weight, capacityRps: i.capacityRps }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Requests/s each instance gets when `rps` enters the service, as the edge picks (weights, zones). */
export function projectService(instances: readonly Routable[], rps: number, edgeZones: Record<string, number>): Map<string, number> {
  const out = new Map<string, number>(instances.map((i) => [i.id, 0]));
  const byWeight = (group: readonly Routable[], amount: number) => {
    const total = group.reduce((a, i) => a + i.weight, 0);
    for (const i of group) if (total > 0) out.set(i.id, out.get(i.id)! + (amount * i.weight) / total);
  };
  const origins = Object.entries(edgeZones);
  if (origins.length === 0 || !instances.some((i) => i.zone !== undefined)) {
    byWeight(instances, rps);
    return out;
  }
  const zones = new Map<string | undefined, ZoneWeights>();
  for (const i of instances) {
    const z = zones.get(i.zone) ?? { zone: i.zone, total: 0, healthy: 0 };
    z.total += i.weight;
    z.healthy += i.weight;
    zones.set(i.zone, z);
  }
  for (const [origin, fraction] of origins) {
    for (const [zone, share] of zoneShares([...zones.values()], origin)) {
      byWeight(instances.filter((i) => i.zone === zone), rps * fraction * share);
    }
  }
  return out;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? undefined : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Builds the plan. `docs` maps service name → its document (as loaded for the manifest). */
export function planCapacity(manifest: Manifest, docs: ReadonlyMap<string, ServiceDocument>, input: PlanInput): CapacityPlan {
  const serviceRps = new Map<string, number>();
  for (const [routeName, route] of Object.entries(manifest.routes)) {
    const rps = own(input.routeRps, routeName) ?? 0;
    const total = route.split.reduce((a, s) => a + s.weight, 0);
    for (const side of route.split) if (total > 0) serviceRps.set(side.service, (serviceRps.get(side.service) ?? 0) + (rps * side.weight) / total);
  }
  const instancePlans = (service: string, list: readonly Routable[], rps: number): InstancePlan[] => {
    const projected = projectService(list, rps, input.edgeZones);
    return list.map((i) => {
      const r = projected.get(i.id) ?? 0;
      const util = i.capacityRps === undefined ? undefined : r / i.capacityRps;
      return { service, id: i.id, zone: i.zone, weight: i.weight, rps: r, capacityRps: i.capacityRps, util, over: util !== undefined && util > input.targetUtil };
    });
  };
  const scenario = (name: string, lost: string[], plans: InstancePlan[], unserved: string[]): ScenarioPlan => {
    const utils = plans.map((p) => p.util).filter((u): u is number => u !== undefined);
    return { name, lost, maxUtil: utils.length ? Math.max(...utils) : undefined, over: plans.filter((p) => p.over), unserved };
  };

  const services: ServicePlan[] = [];
  const all = new Map<string, Routable[]>();
  for (const name of Object.keys(manifest.services).sort()) {
    const doc = docs.get(name);
    if (doc === undefined) continue;
    const list = routable(doc);
    all.set(name, list);
    const rps = serviceRps.get(name) ?? 0;
    const instances = instancePlans(name, list, rps);
    // N+1: the single instance whose loss leaves the highest utilisation behind.
    let nPlusOne: ScenarioPlan | undefined;
    for (const lost of list) {
      const rest = list.filter((i) => i !== lost);
      const s = scenario(`without ${name}/${lost.id}`, [lost.id], instancePlans(name, rest, rps), rest.length === 0 && rps > 0 ? [name] : []);
      if (nPlusOne === undefined || (s.maxUtil ?? -1) > (nPlusOne.maxUtil ?? -1) || s.unserved.length > nPlusOne.unserved.length) nPlusOne = s;
    }
    const caps = list.map((i) => i.capacityRps).filter((c): c is number => c !== undefined);
    const known = caps.length === list.length && list.length > 0;
    const medianCapacity = median(caps);
    const maxCap = known ? Math.max(...caps) : 0;
    const needed = medianCapacity === undefined ? undefined : Math.max(0, Math.ceil(rps / (input.targetUtil * medianCapacity)) - list.length);
    services.push({
      service: name,
      rps,
      instances,
      unknownCapacity: list.filter((i) => i.capacityRps === undefined).map((i) => i.id),
      nPlusOne,
      advice: {
        weights: known ? Object.fromEntries(list.map((i) => [i.id, Math.max(1, Math.round((100 * i.capacityRps!) / maxCap))])) : undefined,
        moreInstances: needed,
        medianCapacity,
      },
    });
  }

  const zones = [...new Set([...all.values()].flat().map((i) => i.zone).filter((z): z is string => z !== undefined))].sort();
  const zoneLoss = zones.map((zone) => {
    const plans: InstancePlan[] = [];
    const unserved: string[] = [];
    for (const [name, list] of all) {
      const rest = list.filter((i) => i.zone !== zone);
      const rps = serviceRps.get(name) ?? 0;
      if (rest.length === 0 && rps > 0) unserved.push(name);
      plans.push(...instancePlans(name, rest, rps));
    }
    return scenario(`zone ${zone} lost`, [...all.values()].flat().filter((i) => i.zone === zone).map((i) => i.id), plans, unserved);
  });

  return {
    targetUtil: input.targetUtil,
    routes: Object.fromEntries(Object.keys(manifest.routes).map((r) => [r, own(input.routeRps, r) ?? 0])),
    services,
    zoneLoss,
    overTarget: services.flatMap((s) => s.instances.filter((i) => i.over)),
  };
}
