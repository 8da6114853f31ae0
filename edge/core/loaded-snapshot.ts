// A verified manifest made ready for routing: route table and per-route split tables.
import { createRouteTable, type RouteTable } from '../../shared/route/match-route.ts';
import type { Manifest, ManifestRoute } from '../../shared/schema/snapshot.ts';
import { createAliasTable, type AliasTable } from '../../shared/select/alias-table.ts';
import { createBucketLookup, validateBucketTable } from '../../shared/select/bucket-table.ts';
import { ZkedgeError, err, ok, type Result } from '../../shared/errors.ts';

export type RouteSplit = {
  services: readonly string[];
  alias: AliasTable;
  /** For sticky routes: bucket → index into `services`, from the published bucket table. */
  bucketSide?: (bucket: number) => number;
};

export type LoadedSnapshot = {
  readonly manifest: Manifest;
  readonly version: number;
  readonly loadedAt: number;
  readonly routes: RouteTable<ManifestRoute>;
  readonly splits: ReadonlyMap<string, RouteSplit>;
};

/** Builds the routing tables; a route's bucket table that does not partition the buckets refuses the snapshot. */
export function createLoadedSnapshot(manifest: Manifest, loadedAt: number): Result<LoadedSnapshot> {
  const splits = new Map<string, RouteSplit>();
  for (const [name, route] of Object.entries(manifest.routes)) {
    const services = route.split.map((s) => s.service);
    const split: RouteSplit = { services, alias: createAliasTable(route.split.map((s) => s.weight)) };
    if (route.stickyKey !== undefined && route.buckets !== undefined) {
      const problem = validateBucketTable(route.buckets, route.split);
      if (problem !== undefined) return err(new ZkedgeError('invalid_input', `route ${name}: bucket table refused: ${problem}`));
      split.bucketSide = createBucketLookup(route.buckets, services);
    }
    splits.set(name, split);
  }
  return ok({ manifest, version: manifest.version, loadedAt, routes: createRouteTable(manifest.routes), splits });
}
