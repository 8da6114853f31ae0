// SnapshotStore on Workers KV through the Worker's publish endpoints (DESIGN.md "Edge HTTP"):
// PUT /_zkedge/snapshot and PUT /_zkedge/current, with writes of `current` held to one per second.
import { z } from 'zod';
import { ZkedgeError, err, httpStatusOf, ok, type ErrorCode, type Result } from '../../shared/errors.ts';
import type { Manifest } from '../../shared/schema/snapshot.ts';
import type { PublishInput, SnapshotStore } from './snapshot-store.ts';

export type KvPushStoreOptions = {
  /** The Worker's origin, such as https://edge.example.com; the endpoint paths replace any path. */
  url: string;
  /** ZKEDGE_PUBLISH_TOKEN, sent as `Authorization: Bearer`. Never logged. */
  token: string;
  fetch?: typeof globalThis.fetch;
  /** Document bytes per request, below the Worker's 16 MiB body limit (default 8 MiB). */
  batchBytes?: number;
  /** Least time between two writes of `current` (default 1000: Workers KV takes one write per second per key). */
  currentIntervalMs?: number;
  /** Per request (default 10 000). */
  timeoutMs?: number;
  now?: () => number;
};

const SnapshotAnswerSchema = z.object({ version: z.number(), stored: z.boolean(), current: z.number().nullable() });
const ErrorAnswerSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }), missing: z.array(z.string()).optional() });

type Refusal = { error: ZkedgeError; missing?: string[] };
type Scheduled = { promise: Promise<Result<void>>; fire: () => void };

/**
 * Pushes snapshots to the Worker, which verifies them and writes documents, `snapshot:<v>`, then
 * `current` to ZKEDGE_KV. Documents: the first push of a process sends none and the Worker
 * answers 409 with the hashes KV lacks; later pushes send those this process has not pushed yet
 * (and again whatever a 409 names), in batches of `batchBytes`.
 * `current` is written at most once per `currentIntervalMs`: a move asked for sooner waits, and
 * the moves asked for meanwhile coalesce to the latest. `publish` returns before a deferred move is
 * written (a failed one is written again by the next `publish` or `setCurrent`); `setCurrent`
 * waits for it.
 * IMPORTANT: KV offers no history and no fencing here. `readState` reports what this process
 * pushed, `readSnapshot` is not supported, `isIntact` is always true, and the epoch is not sent:
 * the Worker refuses a changed snapshot under a stored version, and PUT /_zkedge/snapshot only
 * moves `current` forward.
 */
export function createKvPushStore(options: KvPushStoreOptions): SnapshotStore {
  const doFetch = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const interval = options.currentIntervalMs ?? 1_000;
  const batchBytes = options.batchBytes ?? 8 * 1024 * 1024;
  const written = new Set<string>();
  let highest = 0;
  let highestHash: string | undefined;
  let current: number | undefined; // the Worker's `current` as this process last wrote or heard it
  let currentAt = Number.NEGATIVE_INFINITY; // when this process's last write of `current` ended
  let desired: number | undefined;
  let scheduled: Scheduled | undefined;
  let closed = false;

  const send = async (path: string, body: string): Promise<Result<unknown, Refusal>> => {
    const where = `PUT ${new URL(path, options.url).href}`;
    try {
      const res = await doFetch(new URL(path, options.url), {
        method: 'PUT',
        headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      const text = await res.text();
      const json = parseJson(text);
      if (res.ok) return ok(json);
      const refusal = ErrorAnswerSchema.safeParse(json);
      const code = refusal.success && refusal.data.error.code in httpStatusOf ? (refusal.data.error.code as ErrorCode) : res.status === 401 ? 'unauthorized' : 'store_unavailable';
      const message = refusal.success ? refusal.data.error.message : text.slice(0, 200);
      return err({ error: new ZkedgeError(code, `${where}: ${res.status} ${message}`), ...(refusal.data?.missing ? { missing: refusal.data.missing } : {}) });
    } catch (e) {
      return err({ error: new ZkedgeError('store_unavailable', `${where} failed: ${(e as Error).message}`, { cause: e }) });
    }
  };

  /** Writes the latest desired `current` once the interval since the last write has passed. */
  const moveCurrent = (version: number): Promise<Result<void>> => {
    desired = version;
    if (scheduled !== undefined) return scheduled.promise;
    if (current === version) return Promise.resolve(ok(undefined));
    let fire!: () => void;
    const due = new Promise<void>((resolve) => (fire = resolve));
    const timer = setTimeout(fire, Math.max(0, currentAt + interval - now()));
    const promise = due.then(async (): Promise<Result<void>> => {
      clearTimeout(timer);
      scheduled = undefined;
      const target = desired!;
      if (closed) return err(new ZkedgeError('store_unavailable', `moving current to ${target} in KV: the store is closed`));
      if (target === current) return ok(undefined);
      const r = await send('/_zkedge/current', JSON.stringify({ version: target }));
      currentAt = now();
      if (!r.ok) return err(r.error.error);
      current = target;
      return ok(undefined);
    });
    scheduled = { promise, fire };
    return promise;
  };

  const pushSnapshot = async (manifest: Manifest, documents: ReadonlyMap<string, string>, makeCurrent: boolean): Promise<Result<z.infer<typeof SnapshotAnswerSchema>>> => {
    let want = written.size === 0 ? [] : [...documents.keys()].filter((h) => !written.has(h));
    for (let round = 0; round < documents.size + 2; round++) {
      const batch = takeBatch(want, documents, batchBytes);
      const r = await send('/_zkedge/snapshot', snapshotBody(manifest, batch, documents, makeCurrent));
      if (r.ok || r.error.missing !== undefined) for (const h of batch) written.add(h); // a 409 has stored them too
      if (r.ok) {
        const answer = SnapshotAnswerSchema.safeParse(r.value);
        return answer.success ? ok(answer.data) : err(new ZkedgeError('store_unavailable', `pushing version ${manifest.version}: unexpected answer from the Worker`));
      }
      const missing = r.error.missing;
      if (missing === undefined) return err(r.error.error);
      const unknown = missing.filter((h) => !documents.has(h));
      if (unknown.length > 0) return err(new ZkedgeError('conflict', `pushing version ${manifest.version}: the Worker asks for documents the manifest does not reference (${unknown.join(', ')})`));
      want = missing;
    }
    return err(new ZkedgeError('store_unavailable', `pushing version ${manifest.version}: KV still lacks documents after ${documents.size + 2} requests`));
  };

  return {
    async publish(input: PublishInput) {
      const { manifest } = input;
      const inline = input.makeCurrent && scheduled === undefined && now() - currentAt >= interval;
      const r = await pushSnapshot(manifest, input.documents, inline);
      if (!r.ok) return r;
      if (manifest.version >= highest) [highest, highestHash] = [manifest.version, manifest.hash];
      if (inline && r.value.stored && r.value.current === manifest.version) currentAt = now();
      current = r.value.current ?? undefined;
      // Only forward, as the endpoint itself: an older `current` in KV means this version is the newest.
      if (input.makeCurrent && (current === undefined || current < manifest.version)) void moveCurrent(manifest.version);
      return ok({ trimmed: [] });
    },
    setCurrent: (version) => moveCurrent(version),
    readState: async () => ok({ highest, current, highestHash }),
    readSnapshot: async (version) => err(new ZkedgeError('not_found', `version ${version}: the KV pusher does not read snapshots back (read them from Redis)`)),
    isIntact: async () => ok(true),
    forgetWritten: () => written.clear(),
    async close() {
      closed = true;
      scheduled?.fire();
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Hashes from `want` up to `budget` bytes of documents (at least one, so a big document still goes). */
function takeBatch(want: readonly string[], documents: ReadonlyMap<string, string>, budget: number): string[] {
  const batch: string[] = [];
  let bytes = 0;
  for (const h of want) {
    const size = Buffer.byteLength(documents.get(h) ?? '');
    if (batch.length > 0 && bytes + size > budget) break;
    batch.push(h);
    bytes += size;
  }
  return batch;
}

/** The PUT /_zkedge/snapshot body; documents are canonical JSON already, so they are embedded as they are. */
function snapshotBody(manifest: Manifest, batch: readonly string[], documents: ReadonlyMap<string, string>, makeCurrent: boolean): string {
  const docs = batch.map((h) => `${JSON.stringify(h)}:${documents.get(h)}`).join(',');
  return `{"manifest":${JSON.stringify(manifest)},"documents":{${docs}},"makeCurrent":${makeCurrent}}`;
}
