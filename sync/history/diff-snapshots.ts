// What changed between two snapshots, in the terms operators think in: instances, weights, splits,
// and how much traffic moves. Pure.
import { own } from '../../shared/own.ts';
import type { Manifest, ManifestRoute, ServiceDocument } from '../../shared/schema/snapshot.ts';

export type Side = { manifest: Manifest; docs: ReadonlyMap<string, ServiceDocument> };

export type InstanceChange =
  | { service: string; id: string; change: 'added'; weight: number }
  | { service: string; id: string; change: 'removed'; weight: number }
  | { service: string; id: string; change: 'weight'; from: number; to: number };

export type RouteChange = { route: string; change: 'added' | 'removed' | 'changed'; from?: ManifestRoute['split']; to?: ManifestRoute['split']; movedPercent: number };

export type SnapshotDiff = {
  from: number;
  to: number;
  servicesAdded: string[];
  servicesRemoved: string[];
  instances: InstanceChange[];
  /** Per service whose instance shares changed: the share of its traffic that moves to other instances. */
  serviceShifts: Array<{ service: string; movedPercent: number }>;
  routes: RouteChange[];
  configChanged: string[];
};

/** Share of traffic that moves between two weight maps: the sum of the positive share deltas. */
export function movedShare(before: Record<string, number>, after: Record<string, number>): number {
  const total = (w: Record<string, number>) => Object.values(w).reduce((a, b) => a + b, 0);
  const tb = total(before);
  const ta = total(after);
  let moved = 0;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const sb = tb > 0 ? (before[key] ?? 0) / tb : 0;
    const sa = ta > 0 ? (after[key] ?? 0) / ta : 0;
    if (sa > sb) moved += sa - sb;
  }
  return Math.round(moved * 10_000) / 100;
}

const weightsOf = (doc: ServiceDocument | undefined) => Object.fromEntries(Object.entries(doc?.instances ?? {}).map(([id, i]) => [id, i.weight]));
const splitWeights = (r: ManifestRoute | undefined) => Object.fromEntries((r?.split ?? []).map((s) => [s.service, s.weight]));
const docOf = (side: Side, name: string) => {
  const hash = own(side.manifest.services, name);
  return hash === undefined ? undefined : side.docs.get(hash);
};

export function diffSnapshots(a: Side, b: Side): SnapshotDiff {
  const names = new Set([...Object.keys(a.manifest.services), ...Object.keys(b.manifest.services)]);
  const diff: SnapshotDiff = { from: a.manifest.version, to: b.manifest.version, servicesAdded: [], servicesRemoved: [], instances: [], serviceShifts: [], routes: [], configChanged: [] };
  for (const name of [...names].sort()) {
    const da = docOf(a, name);
    const db = docOf(b, name);
    if (da === undefined && db !== undefined) diff.servicesAdded.push(name);
    if (da !== undefined && db === undefined) diff.servicesRemoved.push(name);
    if (own(a.manifest.services, name) === own(b.manifest.services, name)) continue;
    const ids = new Set([...Object.keys(da?.instances ?? {}), ...Object.keys(db?.instances ?? {})]);
    for (const id of [...ids].sort()) {
      const ia = own(da?.instances, id);
      const ib = own(db?.instances, id);
      if (ia === undefined && ib !== undefined) diff.instances.push({ service: name, id, change: 'added', weight: ib.weight });
      else if (ia !== undefined && ib === undefined) diff.instances.push({ service: name, id, change: 'removed', weight: ia.weight });
      else if (ia !== undefined && ib !== undefined && ia.weight !== ib.weight) diff.instances.push({ service: name, id, change: 'weight', from: ia.weight, to: ib.weight });
    }
    if (da !== undefined && db !== undefined) {
      const moved = movedShare(weightsOf(da), weightsOf(db));
      if (moved > 0) diff.serviceShifts.push({ service: name, movedPercent: moved });
    }
  }
  for (const route of [...new Set([...Object.keys(a.manifest.routes), ...Object.keys(b.manifest.routes)])].sort()) {
    const ra = own(a.manifest.routes, route);
    const rb = own(b.manifest.routes, route);
    if (JSON.stringify(ra) === JSON.stringify(rb)) continue;
    const change = ra === undefined ? 'added' : rb === undefined ? 'removed' : 'changed';
    diff.routes.push({ route, change, ...(ra ? { from: ra.split } : {}), ...(rb ? { to: rb.split } : {}), movedPercent: change === 'changed' ? movedShare(splitWeights(ra), splitWeights(rb)) : 100 });
  }
  for (const key of [...new Set([...Object.keys(a.manifest.config), ...Object.keys(b.manifest.config)])].sort()) {
    if (JSON.stringify(own(a.manifest.config, key)) !== JSON.stringify(own(b.manifest.config, key))) diff.configChanged.push(key);
  }
  return diff;
}

const fmtSplit = (s: ManifestRoute['split'] | undefined) => (s ?? []).map((e) => `${e.service}=${e.weight}`).join(',');

/** Human text, one change a line. */
export function formatDiff(d: SnapshotDiff): string {
  const lines = [`diff ${d.from} → ${d.to}`];
  for (const s of d.servicesAdded) lines.push(`+ service ${s}`);
  for (const s of d.servicesRemoved) lines.push(`- service ${s}`);
  for (const i of d.instances) {
    if (i.change === 'added') lines.push(`+ instance ${i.service}/${i.id} (weight ${i.weight})`);
    else if (i.change === 'removed') lines.push(`- instance ${i.service}/${i.id} (weight ${i.weight})`);
    else lines.push(`~ weight ${i.service}/${i.id}: ${i.from} → ${i.to}`);
  }
  for (const s of d.serviceShifts) lines.push(`  service ${s.service}: ${s.movedPercent}% of its traffic moves between instances`);
  for (const r of d.routes) {
    if (r.change === 'changed') lines.push(`~ route ${r.route}: ${fmtSplit(r.from)} → ${fmtSplit(r.to)} (${r.movedPercent}% of its traffic moves)`);
    else lines.push(`${r.change === 'added' ? '+' : '-'} route ${r.route} (${fmtSplit(r.to ?? r.from)})`);
  }
  for (const k of d.configChanged) lines.push(`~ config ${k}`);
  if (lines.length === 1) lines.push('  (no change)');
  return lines.join('\n');
}
