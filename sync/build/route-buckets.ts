// Sticky routes get a bucket table derived from the previous snapshot's, so a weight change moves
// only the users it must (DESIGN.md "Route JSON"). Edges only look buckets up.
import type { ManifestRoute } from '../../shared/schema/snapshot.ts';
import { deriveBucketTable, validateBucketTable } from '../../shared/select/bucket-table.ts';

/** Returns new route objects; routes without a stickyKey carry no table. Pure. */
export function withBucketTables(routes: Record<string, ManifestRoute>, previous: Record<string, ManifestRoute> | undefined): Record<string, ManifestRoute> {
  const out: Record<string, ManifestRoute> = {};
  for (const [name, route] of Object.entries(routes)) {
    const { buckets: _ignored, ...plain } = route;
    if (route.stickyKey === undefined) {
      out[name] = plain;
      continue;
    }
    const before = previous?.[name]?.buckets;
    // A table that does not partition the buckets for its own split is not a base to move from.
    const base = before !== undefined && previous?.[name] && validateBucketTable(before, previous[name].split) === undefined ? before : undefined;
    out[name] = { buckets: deriveBucketTable(base, route.split), ...plain }; // keys in canonical order
  }
  return out;
}
