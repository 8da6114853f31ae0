// A verified manifest made ready for routing: route table and per-route split tables.
import { createRouteTable, type RouteTable } from '../../shared/route/match-route.ts';
import type { Manifest, ManifestRoute } from '../../shared/schema/snapshot.ts';
import { createAliasTable, type AliasTable } from '../../shared/select/alias-table.ts';

export type RouteSplit = { services: readonly string[]; alias: AliasTable };

export type LoadedSnapshot = {
  readonly manifest: Manifest;
  readonly version: number;
  readonly loadedAt: number;
  readonly routes: RouteTable<ManifestRoute>;
  readonly splits: ReadonlyMap<string, RouteSplit>;
};

export function createLoadedSnapshot(manifest: Manifest, loadedAt: number): LoadedSnapshot {
  const splits = new Map<string, RouteSplit>();
  for (const [name, route] of Object.entries(manifest.routes)) {
    splits.set(name, { services: route.split.map((s) => s.service), alias: createAliasTable(route.split.map((s) => s.weight)) });
  }
  return { manifest, version: manifest.version, loadedAt, routes: createRouteTable(manifest.routes), splits };
}
