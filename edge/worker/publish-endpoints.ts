// The Worker's publish endpoints (DESIGN.md "Edge HTTP"): `PUT /_zkedge/snapshot` and
// `PUT /_zkedge/current`, guarded by ZKEDGE_PUBLISH_TOKEN, verified, written to ZKEDGE_KV.
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ZkedgeError, err, errorBody, httpStatusOf, ok, type ErrorCode, type Result } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { parseJsonText } from '../../shared/schema/parse.ts';
import type { Manifest } from '../../shared/schema/snapshot.ts';
import { canonicalJson } from '../../shared/snapshot/canonical-json.ts';
import { storeKeys } from '../../shared/snapshot/store-keys.ts';
import { verifyManifest, verifyServiceDocument } from '../../shared/snapshot/verify.ts';
import { timingSafeEqual } from '../core/timing-safe-equal.ts';

/** Largest request body accepted (Workers KV holds values up to 25 MiB; the pusher batches below this). */
export const MAX_PUBLISH_BYTES = 16 * 1024 * 1024;

const keys = storeKeys('');
const HASH = /^[0-9a-f]{64}$/;
const PATHS = new Set(['/_zkedge/snapshot', '/_zkedge/current']);
const MAX_KNOWN = 10_000;

/** `documents`: hash → the service document as a JSON value; only those KV lacks. */
const SnapshotPushSchema = z.strictObject({
  manifest: z.record(z.string(), z.unknown()),
  documents: z.record(z.string().regex(HASH, { error: 'expected a SHA-256 hex digest as key' }), z.unknown()).default({}),
  makeCurrent: z.boolean().default(true),
});
const CurrentPushSchema = z.strictObject({ version: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

type Checked = { manifest: Manifest; manifestText: string; documents: Map<string, string>; referenced: string[] };
type Refusal = { error: ZkedgeError; missing?: string[] };

export type PublishEndpointsOptions = {
  kv: KVNamespace;
  /** The shared secret; publishing is refused (401) while it is unset. */
  token: string | undefined;
  log: Logger;
  /** The version this isolate serves, for the `x-zkedge-version` header every response carries. */
  servedVersion?: () => number | undefined;
};

/** Answers the two publish requests; resolves undefined for every other request. Never throws. */
export type PublishEndpoints = (request: Request) => Promise<Response | undefined>;

export function createPublishEndpoints(options: PublishEndpointsOptions): PublishEndpoints {
  const { kv, token, log } = options;
  const known = new Set<string>(); // document hashes this isolate saw in KV or wrote: content-addressed, so never stale
  const app = new Hono();
  const fail = (c: Context, code: ErrorCode, message: string, extra: object = {}) => c.json({ ...errorBody(code, message), ...extra }, httpStatusOf[code] as 400);
  const refuse = (c: Context, r: Refusal) => {
    log.warn({ code: r.error.code, err: r.error.message }, 'publish refused');
    return fail(c, r.error.code, r.error.message, r.missing ? { missing: r.missing } : {});
  };

  app.use('*', async (c, next) => {
    await next();
    const served = options.servedVersion?.();
    if (served !== undefined) c.res.headers.set('x-zkedge-version', String(served));
  });
  app.use('*', async (c, next) => {
    if (token === undefined) return fail(c, 'unauthorized', 'publishing is disabled on this Worker: set the secret ZKEDGE_PUBLISH_TOKEN');
    if (!timingSafeEqual(c.req.header('authorization') ?? '', `Bearer ${token}`)) return fail(c, 'unauthorized', 'send Authorization: Bearer <ZKEDGE_PUBLISH_TOKEN>');
    await next();
  });
  app.use('*', bodyLimit({ maxSize: MAX_PUBLISH_BYTES, onError: (c) => fail(c, 'invalid_input', `request body is larger than ${MAX_PUBLISH_BYTES} bytes: send the documents over several requests`) }));

  app.put('/_zkedge/snapshot', async (c) => {
    const push = parseJsonText(SnapshotPushSchema, await c.req.text(), 'PUT /_zkedge/snapshot body');
    if (!push.ok) return refuse(c, push);
    const checked = await checkSnapshot(push.value.manifest, push.value.documents);
    if (!checked.ok) return refuse(c, checked);
    const stored = await storeSnapshot(kv, known, checked.value, push.value.makeCurrent);
    if (!stored.ok) return refuse(c, stored.error);
    log.info({ version: checked.value.manifest.version, hash: checked.value.manifest.hash, ...stored.value }, stored.value.stored ? 'snapshot published to KV' : 'snapshot already in KV; nothing changed');
    return c.json({ version: checked.value.manifest.version, hash: checked.value.manifest.hash, ...stored.value });
  });

  app.put('/_zkedge/current', async (c) => {
    const push = parseJsonText(CurrentPushSchema, await c.req.text(), 'PUT /_zkedge/current body');
    if (!push.ok) return refuse(c, push);
    const { version } = push.value;
    const previous = await readCurrent(kv);
    if (previous !== version) {
      if ((await kv.get(keys.snapshot(version), 'text')) === null) return refuse(c, { error: new ZkedgeError('not_found', `version ${version} is not stored in KV: push it with PUT /_zkedge/snapshot first`) });
      await kv.put(keys.current, String(version));
      log.info({ version, previous: previous ?? null }, 'current moved');
    }
    return c.json({ version, current: version, previous: previous ?? null });
  });

  // KV failures (including its 429 for more than one write per second to a key) are the store's, not the pusher's.
  app.onError((e, c) => fail(c, 'store_unavailable', `Workers KV failed: ${e.message}; retry later`));

  return async (request) => {
    if (request.method !== 'PUT' || !PATHS.has(new URL(request.url).pathname)) return undefined;
    if (known.size > MAX_KNOWN) known.clear();
    return app.fetch(request);
  };
}

/** Verifies the manifest's root hash and every document sent (its hash, schema and service name). */
async function checkSnapshot(raw: Record<string, unknown>, docs: Record<string, unknown>): Promise<Result<Checked>> {
  const manifestText = JSON.stringify(raw);
  const manifest = await verifyManifest(manifestText, 'in the request');
  if (!manifest.ok) return manifest;
  const nameOf = new Map(Object.entries(manifest.value.services).map(([name, hash]) => [hash, name]));
  const documents = new Map<string, string>();
  for (const [hash, value] of Object.entries(docs)) {
    const name = nameOf.get(hash);
    if (name === undefined) return err(new ZkedgeError('invalid_input', `documents.${hash}: not referenced by manifest.services; send only the documents the manifest names`));
    const text = canonicalJson(value); // the stored form: RFC 8785, as the daemon writes it
    const doc = await verifyServiceDocument(text, hash, `documents.${hash}`);
    if (!doc.ok) return doc;
    if (doc.value.name !== name) return err(new ZkedgeError('invalid_input', `documents.${hash}: is service "${doc.value.name}", but the manifest names it for "${name}"`));
    documents.set(hash, text);
  }
  return ok({ manifest: manifest.value, manifestText, documents, referenced: [...nameOf.keys()] });
}

type Stored = { stored: boolean; current: number | null };

/**
 * Writes the documents, then `snapshot:<v>`, then `current` — only forward: pins go through
 * PUT /_zkedge/current. Idempotent: a version stored with the same hash changes nothing.
 * IMPORTANT: when referenced documents are still missing, the documents of this request are
 * written (content-addressed, so harmless) and the refusal lists the missing ones: a pusher sends
 * a large snapshot's documents over several requests this way.
 */
async function storeSnapshot(kv: KVNamespace, known: Set<string>, checked: Checked, makeCurrent: boolean): Promise<Result<Stored, Refusal>> {
  const { version, hash } = checked.manifest;
  const [existing, current] = await Promise.all([kv.get(keys.snapshot(version), 'text'), readCurrent(kv)]);
  if (existing !== null) {
    const existingHash = hashOf(existing);
    if (existingHash === hash) return ok({ stored: false, current: current ?? null });
    if (existingHash !== undefined) {
      return err({ error: new ZkedgeError('conflict', `version ${version} is stored with hash ${existingHash}, not ${hash}: a published snapshot never changes`) });
    }
  }
  const elsewhere = checked.referenced.filter((h) => !checked.documents.has(h) && !known.has(h));
  const found = await Promise.all(elsewhere.map((h) => kv.get(keys.service(h), 'text')));
  const missing = elsewhere.filter((h, i) => {
    if (found[i] !== null) known.add(h);
    return found[i] === null;
  });
  await Promise.all([...checked.documents].map(([h, text]) => kv.put(keys.service(h), text)));
  for (const h of checked.documents.keys()) known.add(h);
  if (missing.length > 0) {
    return err({ error: new ZkedgeError('conflict', `version ${version} references ${missing.length} service document(s) KV lacks: send them in "documents"`), missing });
  }
  await kv.put(keys.snapshot(version), checked.manifestText);
  if (!makeCurrent || (current !== undefined && current >= version)) return ok({ stored: true, current: current ?? null });
  await kv.put(keys.current, String(version));
  return ok({ stored: true, current: version });
}

async function readCurrent(kv: KVNamespace): Promise<number | undefined> {
  const text = await kv.get(keys.current, 'text');
  return text !== null && /^\d{1,15}$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

function hashOf(manifestText: string): string | undefined {
  try {
    const hash = (JSON.parse(manifestText) as { hash?: unknown }).hash;
    return typeof hash === 'string' ? hash : undefined;
  } catch {
    return undefined;
  }
}
