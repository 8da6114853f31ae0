// Publish-time headroom check (`zkedge sync --expected-rps N`): a snapshot whose plan puts an
// instance over its capacity is still published — routing must not stall — but flagged.
import { planCapacity } from '../../shared/plan/plan-capacity.ts';
import type { Manifest, ServiceDocument } from '../../shared/schema/snapshot.ts';

export type CapacityFlag = { service: string; id: string; rps: number; capacityRps: number; util: number };
export type CapacityStatus = { version: number; expectedRps: number; overCapacity: CapacityFlag[] };

/** Instances projected above 100% of capacityRps when `expectedRps` is shared equally by the routes. */
export function checkCapacity(manifest: Manifest, docsByService: ReadonlyMap<string, ServiceDocument>, expectedRps: number): CapacityStatus {
  const routes = Object.keys(manifest.routes);
  const routeRps = Object.fromEntries(routes.map((r) => [r, expectedRps / Math.max(1, routes.length)]));
  const plan = planCapacity(manifest, docsByService, { routeRps, edgeZones: {}, targetUtil: 1 });
  return {
    version: manifest.version,
    expectedRps,
    overCapacity: plan.overTarget.map((i) => ({ service: i.service, id: i.id, rps: i.rps, capacityRps: i.capacityRps!, util: i.util! })),
  };
}
