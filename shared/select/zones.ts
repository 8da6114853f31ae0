// Zone preference with spill-over (Envoy's locality model, simplified): the edge's own zone takes
// all traffic while it holds enough healthy weight; below that, it keeps a share in proportion to
// its health (× the overprovisioning factor 1.4) and the rest spills to the other zones by their
// healthy weight. Pure: the plan (zkedge plan) and the edge use the same rule.

export const OVERPROVISIONING = 1.4;

export type ZoneWeights = { zone: string | undefined; total: number; healthy: number };

/**
 * Share of traffic per zone, summing to 1 (or empty when nothing is healthy). `total` counts the
 * zone's routable weight, `healthy` the part not ejected. Without a local zone, or when the local
 * zone has no instances, traffic goes by healthy weight across all zones.
 */
export function zoneShares(zones: readonly ZoneWeights[], localZone: string | undefined): Map<string | undefined, number> {
  const shares = new Map<string | undefined, number>();
  const healthyTotal = zones.reduce((a, z) => a + z.healthy, 0);
  if (healthyTotal <= 0) return shares;
  const local = localZone === undefined ? undefined : zones.find((z) => z.zone === localZone && z.total > 0);
  const byHealthy = (list: readonly ZoneWeights[], of: number) => {
    const sum = list.reduce((a, z) => a + z.healthy, 0);
    for (const z of list) if (z.healthy > 0 && sum > 0) shares.set(z.zone, (shares.get(z.zone) ?? 0) + (of * z.healthy) / sum);
  };
  if (local === undefined) {
    byHealthy(zones, 1);
    return shares;
  }
  const others = zones.filter((z) => z !== local);
  const othersHealthy = others.reduce((a, z) => a + z.healthy, 0);
  const localShare = othersHealthy <= 0 ? 1 : Math.min(1, (local.healthy / local.total) * OVERPROVISIONING);
  if (localShare > 0) shares.set(local.zone, localShare);
  if (localShare < 1) byHealthy(others, 1 - localShare);
  return shares;
}
