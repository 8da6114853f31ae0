// Runs edge/worker.ts in real workerd (Miniflare from Node) and publishes verified snapshots to its KV.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { onTestFinished } from 'vitest';
import { canonicalJson } from '../../shared/snapshot/canonical-json.ts';
import { hashJson, sha256Hex } from '../../shared/snapshot/hash.ts';
import { storeKeys } from '../../shared/snapshot/store-keys.ts';
import { InstanceSchema } from '../../shared/schema/instance.ts';
import { RouteSchema } from '../../shared/schema/route.ts';
import { ServiceConfigSchema } from '../../shared/schema/service-config.ts';
import { SNAPSHOT_SCHEMA, rootHashInput, type DocumentInstance, type Manifest, type ServiceDocument } from '../../shared/schema/snapshot.ts';

const ENTRY = fileURLToPath(new URL('../../edge/worker.ts', import.meta.url));
const WRANGLER_TOML = fileURLToPath(new URL('../../wrangler.toml', import.meta.url));

/** The compatibility date deployments use, read from wrangler.toml so tests run what ships. */
function compatibilityDate(): string {
  const found = /^compatibility_date\s*=\s*"([0-9-]+)"/m.exec(readFileSync(WRANGLER_TOML, 'utf8'));
  if (found?.[1] === undefined) throw new Error(`no compatibility_date in ${WRANGLER_TOML}`);
  return found[1];
}

let bundled: Promise<string> | undefined;

/** Bundles the Worker entry in memory, once per test file (module scope), as wrangler would for workerd. */
export function bundleWorker(): Promise<string> {
  bundled ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0]!.text);
  return bundled;
}

export type WorkerVars = Partial<Record<'ZKEDGE_REFRESH_MS' | 'ZKEDGE_ADMIN_TOKEN' | 'ZKEDGE_STALE_AFTER_MS' | 'ZKEDGE_PUBLISH_TOKEN' | 'ZKEDGE_ZONE' | 'ZKEDGE_ZONE_MAP', string>>;

export type TestWorker = Awaited<ReturnType<typeof startWorker>>;

/**
 * Starts the Worker in its own workerd with an empty ZKEDGE_KV. Call inside a test: it is disposed
 * when the test finishes. `fetch` dispatches into the Worker (no network); paths are relative.
 */
export async function startWorker(vars: WorkerVars = {}) {
  const logs: string[] = [];
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(),
    compatibilityDate: compatibilityDate(),
    kvNamespaces: ['ZKEDGE_KV'],
    bindings: vars,
    cf: false,
    handleStructuredLogs: (log: { level: string; message: string }) => void logs.push(`${log.level}: ${log.message}`),
  });
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    await mf.dispose();
  };
  onTestFinished(dispose);
  await mf.ready;
  const kv = await mf.getKVNamespace('ZKEDGE_KV');
  const fetch = (path: string, init?: Parameters<Miniflare['dispatchFetch']>[1]) => mf.dispatchFetch(new URL(path, 'http://127.0.0.1').href, init);
  return { mf, kv, fetch, dispose, logs: () => logs.join('\n') };
}

export type TestServiceInput = { config?: unknown; instances: Record<string, { url: string; weight?: number; zone?: string }> };

export type SnapshotInput = {
  version: number;
  services: Record<string, TestServiceInput>;
  /** Route JSON as operators write it (`service` shorthand allowed). */
  routes: Record<string, unknown>;
  config?: Record<string, unknown>;
};

/** A manifest and its documents (hash → stored text). Mutate either before publishing to tamper. */
export type TestSnapshot = { manifest: Manifest; documents: Map<string, string> };

/** Builds a snapshot the way the daemon does: canonical documents, service and root hashes over JCS. */
export async function buildTestSnapshot(input: SnapshotInput): Promise<TestSnapshot> {
  const documents = new Map<string, string>();
  const services: Record<string, string> = {};
  for (const name of Object.keys(input.services).sort()) {
    const service = input.services[name]!;
    const config = ServiceConfigSchema.parse(service.config ?? {});
    const instances: Record<string, DocumentInstance> = {};
    for (const [id, raw] of Object.entries(service.instances)) {
      const inst = InstanceSchema.parse(raw);
      instances[id] = { url: inst.url, weight: config.weights[id] ?? inst.weight, ...(inst.zone !== undefined ? { zone: inst.zone } : {}) };
    }
    const doc: ServiceDocument = { name, config, instances };
    const text = canonicalJson(doc);
    const hash = await sha256Hex(text);
    documents.set(hash, text);
    services[name] = hash;
  }
  const routes = Object.fromEntries(Object.entries(input.routes).map(([name, r]) => [name, RouteSchema.parse(r)]));
  const body = { schema: SNAPSHOT_SCHEMA as 1, services, routes, config: input.config ?? {} };
  const manifest: Manifest = { ...body, version: input.version, hash: await hashJson(rootHashInput(body)), createdAt: new Date().toISOString(), source: { zxid: '0x0' } };
  return { manifest, documents };
}

const keys = storeKeys('');

/** Writes in the publish order of DESIGN.md "Stores": documents, then `snapshot:<v>`, then `current`. */
export async function publishSnapshot(kv: TestWorker['kv'], snap: TestSnapshot): Promise<void> {
  await Promise.all([...snap.documents].map(([hash, text]) => kv.put(keys.service(hash), text)));
  await kv.put(keys.snapshot(snap.manifest.version), JSON.stringify(snap.manifest));
  await kv.put(keys.current, String(snap.manifest.version));
}
