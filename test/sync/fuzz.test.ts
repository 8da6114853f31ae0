// Property tests of the tree → snapshot path: random node data in process, random writes through real ZooKeeper.
import { own } from '../../shared/own.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InstanceSchema } from '../../shared/schema/instance.ts';
import { parseJsonText } from '../../shared/schema/parse.ts';
import { ManifestSchema, ServiceDocumentSchema, type Manifest } from '../../shared/schema/snapshot.ts';
import { verifyManifest, verifyServiceDocument } from '../../shared/snapshot/verify.ts';
import { assembleContent, createSnapshotBuilder, type SnapshotBuilder, type SnapshotContent, type TreeBuild } from '../../sync/build/build-snapshot.ts';
import type { Report } from '../../sync/build/node-validator.ts';
import type { TreePaths } from '../../sync/zookeeper/tree-paths.ts';
import {
  FUZZ_PATHS as P,
  configDataArb,
  garbageArb,
  instanceDataArb,
  isValidConfigValue,
  isValidInstance,
  isValidRoute,
  isValidServiceConfig,
  mixedTreeSpecArb,
  nodeCount,
  routeDataArb,
  serviceConfigDataArb,
  treeOf,
  validTreeSpecArb,
  type TreeSpec,
} from '../helpers/arbitraries.ts';
import { createTestEnv } from '../helpers/env.ts';

const NEVER_VALID = /left out \(never valid\)$/;

/** A manifest around built content, as the daemon publishes it. */
const manifestOf = (content: SnapshotContent): Manifest => ({ ...content.body, version: 1, hash: content.hash, createdAt: new Date(0).toISOString(), source: { zxid: '0x1' } });

async function buildContent(builder: SnapshotBuilder, spec: TreeSpec, options: Parameters<typeof treeOf>[1] = {}) {
  const built = await builder.build(treeOf(spec, options));
  return { built, content: await assembleContent(built.services, built.routes, built.config) };
}

/** What a reader checks: each document's schema and hash, the manifest's schema and root hash. */
async function expectReadable(built: TreeBuild, content: SnapshotContent): Promise<void> {
  for (const [name, b] of built.services) {
    expect(ServiceDocumentSchema.safeParse(b.doc).error).toBeUndefined();
    expect(content.body.services[name]).toBe(b.hash);
    const doc = await verifyServiceDocument(content.documents.get(b.hash) ?? '', b.hash, name);
    expect(doc.ok || doc.error.message).toBe(true);
  }
  const manifest = manifestOf(content);
  expect(ManifestSchema.safeParse(manifest).error).toBeUndefined();
  const verified = await verifyManifest(JSON.stringify(manifest), 'fuzz');
  expect(verified.ok || verified.error.message).toBe(true);
}

const reported = (reports: Report[], path: string, reason: RegExp) => reports.some((r) => r.path === path && reason.test(r.reason));

/** Every node is published (instances with their effective weight) or reported at its path. */
function expectEveryNodeAccountedFor(spec: TreeSpec, built: TreeBuild, reports: Report[]): void {
  const paths = new Set(spec.services.flatMap((s) => [P.service(s.name), ...s.instances.map(([id]) => P.instance(s.name, id))]));
  for (const [name] of spec.routes) paths.add(P.route(name));
  for (const [key] of spec.config) paths.add(P.configKey(key));
  for (const r of reports) expect(paths.has(r.path) && r.reason !== '', `report without its node's path: ${JSON.stringify(r)}`).toBe(true);

  expect([...built.services.keys()].sort()).toEqual(spec.services.filter((s) => isValidServiceConfig(s.config ?? '')).map((s) => s.name).sort());
  for (const s of spec.services) {
    const doc = built.services.get(s.name)?.doc;
    if (doc === undefined) {
      expect(reported(reports, P.service(s.name), NEVER_VALID)).toBe(true);
      continue;
    }
    expect(Object.keys(doc.instances).every((id) => s.instances.some(([known]) => known === id))).toBe(true);
    for (const [id, data] of s.instances) {
      const path = P.instance(s.name, id);
      const inst = parseJsonText(InstanceSchema, data, path);
      const published = Object.hasOwn(doc.instances, id) ? doc.instances[id] : undefined;
      if (!inst.ok) expect(published === undefined && reported(reports, path, NEVER_VALID), path).toBe(true);
      else if (published === undefined) expect(reported(reports, path, /^instance left out: /), path).toBe(true);
      else expect(published).toMatchObject({ url: inst.value.url, weight: own(doc.config.weights, id) ?? inst.value.weight });
    }
  }
  const expectKept = (nodes: Array<[string, string]>, out: Record<string, unknown>, isValid: (raw: string) => boolean, pathOf: (n: string) => string) => {
    expect(Object.keys(out).sort()).toEqual(nodes.filter(([, data]) => isValid(data)).map(([n]) => n).sort());
    for (const [n, data] of nodes) if (!isValid(data)) expect(reported(reports, pathOf(n), NEVER_VALID), pathOf(n)).toBe(true);
  };
  expectKept(spec.routes, built.routes, isValidRoute, P.route);
  expectKept(spec.config, built.config, isValidConfigValue, P.configKey);
}

/** The nodes a build published, each with a check that its data is valid for its kind. */
function publishedNodes(spec: TreeSpec, built: TreeBuild): Array<{ path: string; isValid: (raw: string) => boolean }> {
  const nodes: Array<{ path: string; isValid: (raw: string) => boolean }> = [];
  for (const s of spec.services) {
    const doc = built.services.get(s.name)?.doc;
    if (doc === undefined) continue;
    if (s.config !== undefined) nodes.push({ path: P.service(s.name), isValid: isValidServiceConfig });
    for (const id of Object.keys(doc.instances)) nodes.push({ path: P.instance(s.name, id), isValid: isValidInstance });
  }
  for (const name of Object.keys(built.routes)) nodes.push({ path: P.route(name), isValid: isValidRoute });
  for (const key of Object.keys(built.config)) nodes.push({ path: P.configKey(key), isValid: isValidConfigValue });
  return nodes;
}

/** The spec with the node at `path` holding `data`. */
function withData(spec: TreeSpec, path: string, data: string): TreeSpec {
  const swap = (list: Array<[string, string]>, pathOf: (n: string) => string) => list.map(([n, d]): [string, string] => [n, pathOf(n) === path ? data : d]);
  return {
    services: spec.services.map((s) => ({
      name: s.name,
      config: P.service(s.name) === path ? data : s.config,
      instances: swap(s.instances, (id) => P.instance(s.name, id)),
    })),
    routes: swap(spec.routes, P.route),
    config: swap(spec.config, P.configKey),
  };
}

describe('snapshot builder fed random node data', () => {
  it('builds a schema-valid, verifiable snapshot from any node data and reports each bad node at its path', async () => {
    let nodes = 0;
    await fc.assert(
      fc.asyncProperty(mixedTreeSpecArb, async (spec) => {
        nodes += nodeCount(spec);
        const reports: Report[] = [];
        const { built, content } = await buildContent(createSnapshotBuilder((r) => reports.push(r)), spec);
        await expectReadable(built, content);
        expectEveryNodeAccountedFor(spec, built, reports);
      }),
      { numRuns: 800 },
    );
    expect(nodes).toBeGreaterThanOrEqual(10_000);
  });

  it('gives the same root hash for the same tree, rebuilt or inserted in another order', async () => {
    await fc.assert(
      fc.asyncProperty(mixedTreeSpecArb, async (spec) => {
        const reports: Report[] = [];
        const builder = createSnapshotBuilder((r) => reports.push(r));
        const first = await buildContent(builder, spec);
        // a refused target is re-checked whenever its service is rebuilt; data is judged once
        const judged = () => reports.filter((r) => !r.reason.startsWith('instance left out: ')).length;
        const reportedOnce = judged();
        const again = await buildContent(builder, spec, { gen: 2 });
        const fresh = await buildContent(createSnapshotBuilder(() => {}), spec, { reversed: true });
        expect(again.content.hash).toBe(first.content.hash);
        expect(fresh.content.hash).toBe(first.content.hash);
        expect(fresh.content.documents).toEqual(first.content.documents);
        expect(judged(), 'a rebuild reports the same data again').toBe(reportedOnce);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the last good value of a node whose data turns invalid', async () => {
    const badDataArb = fc.oneof(garbageArb, instanceDataArb, serviceConfigDataArb, routeDataArb, configDataArb);
    await fc.assert(
      fc.asyncProperty(validTreeSpecArb, fc.nat(), badDataArb, async (spec, pick, bad) => {
        const reports: Report[] = [];
        const builder = createSnapshotBuilder((r) => reports.push(r));
        const before = await buildContent(builder, spec);
        const nodes = publishedNodes(spec, before.built);
        fc.pre(nodes.length > 0);
        const node = nodes[pick % nodes.length]!;
        const data = node.isValid(bad) ? '{not json' : bad;
        const after = await buildContent(builder, withData(spec, node.path, data), { gen: 2 });
        expect(after.content.hash).toBe(before.content.hash);
        expect(reported(reports, node.path, /kept its last good value$/), `no report at ${node.path}`).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

const SERVICES = ['stable', 'fuzz-a', 'fuzz-b', 'fuzz-c'] as const;
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

type Write = { kind: 'instance' | 'service' | 'route' | 'config'; name: string; id?: string; data: string };

/** One write: to instances of every service, to the config of every service but "stable". */
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  fc.record({ kind: fc.constant('instance' as const), name: fc.constantFrom(...SERVICES), id: fc.constantFrom(...ids('i', 5)), data: instanceDataArb }),
  fc.record({ kind: fc.constant('service' as const), name: fc.constantFrom(...SERVICES.slice(1)), data: serviceConfigDataArb }),
  fc.record({ kind: fc.constant('route' as const), name: fc.constantFrom(...ids('r', 4)), data: routeDataArb }),
  fc.record({ kind: fc.constant('config' as const), name: fc.constantFrom(...ids('k', 4)), data: configDataArb }),
);

function pathOf(paths: TreePaths, w: Write): string {
  if (w.kind === 'instance') return paths.instance(w.name, w.id ?? '');
  if (w.kind === 'service') return paths.service(w.name);
  return w.kind === 'route' ? paths.route(w.name) : paths.configKey(w.name);
}

const validatorOf = (w: Write) => ({ instance: isValidInstance, service: isValidServiceConfig, route: isValidRoute, config: isValidConfigValue })[w.kind];

/**
 * How many errors each node must have reported once the daemon has built every write: one per
 * change to data that is invalid. Instances of "fuzz-*" are left out: they are validated only
 * while their service has a valid config.
 */
function expectedErrors(paths: TreePaths, writes: Write[]): Map<string, number> {
  const data = new Map<string, string>();
  const errors = new Map<string, number>();
  for (const w of writes) {
    const path = pathOf(paths, w);
    const stored = Buffer.from(w.data, 'utf8').toString('utf8'); // ZooKeeper holds UTF-8 bytes
    if (w.kind === 'instance' && w.name !== 'stable') continue;
    if (data.get(path) !== stored && !validatorOf(w)(stored)) errors.set(path, (errors.get(path) ?? 0) + 1);
    data.set(path, stored);
    if (!errors.has(path)) errors.set(path, 0);
  }
  return errors;
}

describe('sync daemon fed random node data through real ZooKeeper', () => {
  it('builds and reports every one of 300 random writes, keeps publishing, and keeps the known-good instance', async () => {
    const good = { url: 'http://127.0.0.1:9001', weight: 100 };
    // One run (each is a daemon on a fresh root); no shrinking: a failure prints its seed and writes.
    await fc.assert(
      fc.asyncProperty(fc.array(writeArb, { minLength: 300, maxLength: 300 }), async (writes) => {
        const env = await createTestEnv();
        await env.write(env.paths.service('stable'), { lb: 'round_robin' });
        await env.write(env.paths.instance('stable', 'i-good'), good);
        const d = await env.startDaemon();
        await d.waitPublished((m) => m.services.stable !== undefined);

        // Writes go in batches of distinct nodes; a marker published after each batch proves the
        // daemon built a tree holding all of them (ZooKeeper orders the reads on one session).
        let syncs = 0;
        const batch = new Map<string, string>();
        const sync = async () => {
          const marker = `${env.id}-${++syncs}`;
          await env.write(env.paths.configKey('fuzz-sync'), JSON.stringify(marker));
          await d.waitPublished((m) => m.config['fuzz-sync'] === marker, 10_000).catch((e: Error) => {
            throw new Error(`the daemon stopped publishing after these writes: ${JSON.stringify(Object.fromEntries(batch))} (${e.message})`);
          });
          batch.clear();
        };
        for (const w of writes) {
          const path = pathOf(env.paths, w);
          if (batch.has(path) || batch.size === 5) await sync();
          batch.set(path, w.data);
          await env.write(path, w.data);
        }
        await sync(); // the last valid change still publishes: the daemon is alive

        const last = d.published.at(-1)!;
        const stable = last.services.stable ?? '';
        const doc = await verifyServiceDocument((await env.redis.get(`${env.prefix}service:${stable}`)) ?? '', stable, 'stable');
        expect(doc.ok && doc.value.instances['i-good']).toEqual(good);
        for (const m of d.published) expect(await verifyManifest(JSON.stringify(m), `v${m.version}`)).toMatchObject({ ok: true });
        expect(d.published.filter((m) => m.services.stable === undefined).map((m) => m.version)).toEqual([]);
        expect(d.reports.filter((r) => !r.path.startsWith(`${env.root}/`))).toEqual([]);
        const errors = new Map<string, number>();
        for (const r of d.reports) if (r.severity === 'error' && !r.reason.startsWith('instance left out: ')) errors.set(r.path, (errors.get(r.path) ?? 0) + 1);
        for (const [path, n] of expectedErrors(env.paths, writes)) expect(errors.get(path) ?? 0, `errors reported at ${path}`).toBe(n);
      }),
      { numRuns: 1, endOnFailure: true },
    );
  }, 60_000);
});
