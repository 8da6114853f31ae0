// Instance selection with per-process state: the service's lb algorithm, zone preference with
// spill-over, and passive health (ejection with a growing cooldown, and a panic threshold).
import { createSmoothRoundRobin, type RoundRobin } from '../../shared/select/smooth-round-robin.ts';
import { rendezvousPick } from '../../shared/select/rendezvous.ts';
import { zoneShares, type ZoneWeights } from '../../shared/select/zones.ts';
import type { Random } from '../../shared/select/alias-table.ts';
import type { InstanceView, ServiceView } from './service-view.ts';

export type PickContext = { random: Random; now: number; stickyKey: string | undefined; localZone: string | undefined };

export type EjectionPolicy = { baseMs: number; maxMs: number };

export type InstancePicker = {
  /** Picks an instance not in `exclude`; undefined when none is left. */
  pick(view: ServiceView, ctx: PickContext, exclude: ReadonlySet<string>): InstanceView | undefined;
  started(service: string, id: string): void;
  finished(service: string, id: string): void;
  /** A connect error or timeout: eject for a cooldown that doubles on each failure in a row. */
  failed(service: string, id: string, now: number): void;
  succeeded(service: string, id: string, now: number): void;
  ejectedIds(service: string, now: number): string[];
};

type Ejection = { failures: number; until: number };

export function createInstancePicker(policy: EjectionPolicy = { baseMs: 5_000, maxMs: 300_000 }): InstancePicker {
  const ejections = new Map<string, Map<string, Ejection>>();
  const inflight = new Map<string, Map<string, number>>();
  const robins = new Map<string, RoundRobin>();
  const of = <T>(m: Map<string, Map<string, T>>, service: string) => {
    let inner = m.get(service);
    if (inner === undefined) m.set(service, (inner = new Map()));
    return inner;
  };

  const weightedPick = (group: readonly InstanceView[], random: Random): InstanceView | undefined => {
    let total = 0;
    for (const i of group) total += i.weight;
    let r = random() * total;
    for (const i of group) {
      r -= i.weight;
      if (r < 0) return i;
    }
    return group[group.length - 1];
  };

  const byAlgorithm = (view: ServiceView, group: readonly InstanceView[], whole: boolean, ctx: PickContext): InstanceView | undefined => {
    if (group.length === 0) return undefined;
    switch (view.doc.config.lb) {
      case 'round_robin': {
        const key = whole ? view.hash : `${view.hash}|${group.map((i) => i.id).join(',')}`;
        let rr = robins.get(key);
        if (rr === undefined) {
          if (robins.size > 256) robins.clear();
          robins.set(key, (rr = createSmoothRoundRobin(group.map((i) => i.weight))));
        }
        return group[rr.pick()];
      }
      case 'sticky':
        if (ctx.stickyKey !== undefined) return group[rendezvousPick(ctx.stickyKey, group.map((i) => i.id), group.map((i) => i.weight))];
        break;
      case 'least_request': {
        const a = weightedPick(group, ctx.random)!;
        const b = weightedPick(group, ctx.random)!;
        const load = of(inflight, view.name);
        const cost = (i: InstanceView) => ((load.get(i.id) ?? 0) + 1) / i.weight;
        return cost(b) < cost(a) ? b : a;
      }
    }
    return whole ? view.instances[view.alias.pick(ctx.random)] : weightedPick(group, ctx.random);
  };

  return {
    pick(view, ctx, exclude) {
      const ejected = of(ejections, view.name);
      let ejectedCount = 0;
      for (const e of ejected.values()) if (e.until > ctx.now) ejectedCount++;
      // Panic threshold: with more than half ejected, ejection is ignored (Envoy's panic mode).
      const honourEjection = ejectedCount > 0 && ejectedCount * 2 <= view.instances.length;
      const candidates = exclude.size === 0 ? view.instances : view.instances.filter((i) => !exclude.has(i.id));
      if (candidates.length === 0) return undefined;
      let healthy = honourEjection ? candidates.filter((i) => (ejected.get(i.id)?.until ?? 0) <= ctx.now) : candidates;
      if (healthy.length === 0) healthy = candidates; // better a cooling instance than none
      let group = healthy;
      if (ctx.localZone !== undefined && view.hasZones) {
        const zones = new Map<string | undefined, ZoneWeights>();
        for (const i of candidates) {
          const z = zones.get(i.zone) ?? { zone: i.zone, total: 0, healthy: 0 };
          z.total += i.weight;
          zones.set(i.zone, z);
        }
        for (const i of healthy) zones.get(i.zone)!.healthy += i.weight;
        const shares = zoneShares([...zones.values()], ctx.localZone);
        let r = ctx.random();
        let chosen: string | undefined;
        for (const [zone, share] of shares) {
          chosen = zone;
          r -= share;
          if (r < 0) break;
        }
        group = healthy.filter((i) => i.zone === chosen);
      }
      return byAlgorithm(view, group, group === view.instances, ctx);
    },
    started(service, id) {
      const m = of(inflight, service);
      m.set(id, (m.get(id) ?? 0) + 1);
    },
    finished(service, id) {
      const m = of(inflight, service);
      const n = (m.get(id) ?? 1) - 1;
      if (n <= 0) m.delete(id);
      else m.set(id, n);
    },
    failed(service, id, now) {
      const m = of(ejections, service);
      const e = m.get(id) ?? { failures: 0, until: 0 };
      e.failures++;
      e.until = now + Math.min(policy.maxMs, policy.baseMs * 2 ** (e.failures - 1));
      m.set(id, e);
    },
    succeeded(service, id, now) {
      const m = ejections.get(service);
      const e = m?.get(id);
      if (e !== undefined && e.until <= now) m!.delete(id);
    },
    ejectedIds(service, now) {
      return [...(ejections.get(service) ?? new Map<string, Ejection>())].filter(([, e]) => e.until > now).map(([id]) => id);
    },
  };
}
