// Tree → snapshot: validate every node, build one document per service, hash, and check consistency.
import { z } from 'zod';
import { canonicalJson } from '../../shared/snapshot/canonical-json.ts';
import { sha256Hex } from '../../shared/snapshot/hash.ts';
import { parseJsonText } from '../../shared/schema/parse.ts';
import { ROUTE_KEYS, RouteSchema, type Route } from '../../shared/schema/route.ts';
import { SNAPSHOT_SCHEMA, rootHashInput, type Manifest, type ManifestRoute, type ServiceDocument } from '../../shared/schema/snapshot.ts';
import type { TreeState } from '../zookeeper/tree-cache.ts';
import { buildServiceDocument, unknownFieldWarnings } from './build-service.ts';
import { createNodeValidator, type NodeValidator, type Report } from './node-validator.ts';

/** A snapshot's content, before it gets a version: what the root hash covers, plus its documents. */
export type SnapshotContent = {
  body: Pick<Manifest, 'schema' | 'services' | 'routes' | 'config'>;
  hash: string;
  /** Every document the body references: hash → canonical JSON text. */
  documents: Map<string, string>;
};

type CachedService = { gen: number; doc: ServiceDocument | undefined; json: string | undefined; hash: string | undefined };

/** A built service document with its canonical text and hash. */
export type BuiltService = { doc: ServiceDocument; json: string; hash: string };

/** The tree, validated: one document per service, routes and config; not yet hashed as a whole. */
export type TreeBuild = { services: Map<string, BuiltService>; routes: Record<string, ManifestRoute>; config: Record<string, unknown> };

export type SnapshotBuilder = {
  /** Validates the current tree. Reuses the document of every service whose nodes did not change. */
  build(tree: TreeState): Promise<TreeBuild>;
  readonly validator: NodeValidator;
};

/** Hashes a document (canonical JSON, SHA-256). */
export async function builtService(doc: ServiceDocument): Promise<BuiltService> {
  const json = canonicalJson(doc);
  return { doc, json, hash: await sha256Hex(json) };
}

/** The manifest body, its root hash, and the documents it references. */
export async function assembleContent(services: ReadonlyMap<string, BuiltService>, routes: Record<string, ManifestRoute>, config: Record<string, unknown>): Promise<SnapshotContent> {
  const serviceHashes: Record<string, string> = {};
  const documents = new Map<string, string>();
  for (const name of [...services.keys()].sort()) {
    const b = services.get(name)!;
    serviceHashes[name] = b.hash;
    documents.set(b.hash, b.json);
  }
  const body = { schema: SNAPSHOT_SCHEMA as 1, services: serviceHashes, routes, config };
  return { body, hash: await sha256Hex(canonicalJson(rootHashInput(body))), documents };
}

export function createSnapshotBuilder(report: (r: Report) => void): SnapshotBuilder {
  const reportedOnce = new Map<string, string>();
  const onReport = (r: Report) => {
    if (r.once) {
      if (reportedOnce.get(r.path) === r.reason) return;
      if (reportedOnce.size > 100_000) reportedOnce.clear();
      reportedOnce.set(r.path, r.reason);
    }
    report(r);
  };
  const validator = createNodeValidator(onReport);
  const services = new Map<string, CachedService>();
  const danglingReported = new Set<string>();

  const buildRoutes = (tree: TreeState, published: Set<string>): Record<string, ManifestRoute> => {
    const routes: Record<string, ManifestRoute> = {};
    for (const name of [...tree.routes.keys()].sort()) {
      const node = tree.routes.get(name)!;
      const route: Route | undefined = validator.validate(node.path, node.data, (raw) => parseJsonText(RouteSchema, raw, node.path), unknownFieldWarnings(node.data, ROUTE_KEYS));
      if (route === undefined) continue;
      for (const side of route.split) {
        const key = `${node.path}→${side.service}`;
        if (!published.has(side.service) && !danglingReported.has(key)) {
          danglingReported.add(key);
          onReport({ path: node.path, reason: `split names service ${JSON.stringify(side.service)}, which has no valid node: its share gets no_backend`, severity: 'warning' });
        } else if (published.has(side.service)) danglingReported.delete(key);
      }
      routes[name] = route;
    }
    return routes;
  };

  const buildConfig = (tree: TreeState): Record<string, unknown> => {
    const config: Record<string, unknown> = {};
    for (const key of [...tree.config.keys()].sort()) {
      const node = tree.config.get(key)!;
      const value = validator.validate(node.path, node.data, (raw) => parseJsonText(z.json(), raw, node.path));
      if (value !== undefined) config[key] = value;
    }
    return config;
  };

  // Deleted nodes are forgotten lazily: only when the memory clearly outgrows the tree.
  const pruneValidator = (tree: TreeState) => {
    let live = tree.routes.size + tree.config.size;
    for (const entry of tree.services.values()) live += 1 + entry.instances.size;
    if (validator.size() <= live * 1.5 + 100) return;
    const paths = new Set<string>();
    for (const entry of tree.services.values()) {
      if (entry.node) paths.add(entry.node.path);
      for (const n of entry.instances.values()) paths.add(n.path);
    }
    for (const n of tree.routes.values()) paths.add(n.path);
    for (const n of tree.config.values()) paths.add(n.path);
    validator.prune((p) => paths.has(p));
  };

  return {
    validator,
    async build(tree) {
      const pending: Array<[string, CachedService]> = [];
      for (const [name, entry] of tree.services) {
        const cached = services.get(name);
        if (cached !== undefined && cached.gen === entry.gen) continue;
        const doc = buildServiceDocument(entry, validator, onReport);
        const next: CachedService = { gen: entry.gen, doc, json: doc && canonicalJson(doc), hash: undefined };
        services.set(name, next);
        pending.push([name, next]);
      }
      for (const name of [...services.keys()]) if (!tree.services.has(name)) services.delete(name);
      pruneValidator(tree);
      await Promise.all(pending.map(async ([, c]) => void (c.hash = c.json === undefined ? undefined : await sha256Hex(c.json))));

      const built = new Map<string, BuiltService>();
      for (const name of [...services.keys()].sort()) {
        const c = services.get(name)!;
        if (c.doc !== undefined && c.json !== undefined && c.hash !== undefined) built.set(name, { doc: c.doc, json: c.json, hash: c.hash });
      }
      return { services: built, routes: buildRoutes(tree, new Set(built.keys())), config: buildConfig(tree) };
    },
  };
}
