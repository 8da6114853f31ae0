// The edge's copy of the current snapshot: follows the store's `current` (down too, for pins),
// verifies every hash, and keeps the last good snapshot when the store is down or lies.
import { own } from '../../shared/own.ts';
import { ZkedgeError, err, ok, type Result } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { verifyManifest, verifyServiceDocument } from '../../shared/snapshot/verify.ts';
import { createLoadedSnapshot, type LoadedSnapshot } from './loaded-snapshot.ts';
import { createServiceView, type ServiceView } from './service-view.ts';
import type { SnapshotSource } from './snapshot-source.ts';

export type SnapshotCacheOptions = {
  source: SnapshotSource;
  /** eager (Node): load every document before switching; lazy (Workers): load a document on first use. */
  mode: 'eager' | 'lazy';
  log: Logger;
  now?: () => number;
  /** Lazy mode: documents kept per isolate (oldest dropped first). */
  maxDocuments?: number;
};

export type RefreshOutcome = { version: number | undefined; changed: boolean };

export type SnapshotCache = {
  current(): LoadedSnapshot | undefined;
  /** Re-reads `current` and loads it when it moved. Concurrent calls share one read. Never throws. */
  refresh(): Promise<Result<RefreshOutcome>>;
  /**
   * The view of a service in `snapshot`; ok(undefined) when the snapshot has no such service. In lazy
   * mode a document failing its hash makes the cache refuse that version and fall back.
   */
  service(snapshot: LoadedSnapshot, name: string): Promise<Result<ServiceView | undefined>>;
  /** The last refresh failure, for status output. */
  lastError(): string | undefined;
  /** When the store last confirmed which version is current (ms since epoch). */
  checkedAt(): number | undefined;
};

export function createSnapshotCache(options: SnapshotCacheOptions): SnapshotCache {
  const { source, log } = options;
  const now = options.now ?? Date.now;
  const maxDocuments = options.maxDocuments ?? 2_000;
  const views = new Map<string, ServiceView>(); // by document hash
  let current: LoadedSnapshot | undefined;
  let previous: LoadedSnapshot | undefined;
  const refused = new Set<number>();
  let inflight: Promise<Result<RefreshOutcome>> | undefined;
  let again = false;
  let lastError: string | undefined;
  let checkedAt: number | undefined;

  const loadDocuments = async (hashes: string[], names: string[]): Promise<Result<void>> => {
    const missing = hashes.map((h, i) => [h, names[i]!] as const).filter(([h]) => !views.has(h));
    if (missing.length === 0) return ok(undefined);
    const texts = await source.documents(missing.map(([h]) => h));
    for (let i = 0; i < missing.length; i++) {
      const [hash, name] = missing[i]!;
      const text = texts[i];
      if (text === null || text === undefined) return err(new ZkedgeError('not_found', `service document ${hash} (${name}) is missing from the store`));
      const doc = await verifyServiceDocument(text, hash, `service:${hash}`);
      if (!doc.ok) return doc;
      if (views.size >= maxDocuments) views.delete(views.keys().next().value as string);
      views.set(hash, createServiceView(doc.value, hash));
    }
    return ok(undefined);
  };

  /**
   * A hash or schema failure refuses the version for good; a missing key may only be late (Workers
   * KV is eventually consistent per key), so that version is tried again on the next refresh.
   */
  const refuse = (version: number, reason: string, permanent: boolean) => {
    if (permanent) refused.add(version);
    lastError = reason;
    log.error({ version, err: reason, permanent }, 'snapshot refused; keeping the last good one');
  };

  const refreshOnce = async (): Promise<Result<RefreshOutcome>> => {
    try {
      const version = await source.currentVersion();
      if (version === undefined || version === current?.version || refused.has(version)) {
        if (version !== undefined && version === current?.version) checkedAt = now();
        return ok({ version: current?.version, changed: false });
      }
      const text = await source.manifest(version);
      if (text === null) {
        refuse(version, `current points at version ${version}, whose manifest is missing`, false);
        return ok({ version: current?.version, changed: false });
      }
      const manifest = await verifyManifest(text, `snapshot:${version}`);
      if (!manifest.ok || manifest.value.version !== version) {
        refuse(version, manifest.ok ? `snapshot:${version} claims version ${manifest.value.version}` : manifest.error.message, true);
        return ok({ version: current?.version, changed: false });
      }
      if (options.mode === 'eager') {
        const names = Object.keys(manifest.value.services);
        const loaded = await loadDocuments(names.map((n) => manifest.value.services[n]!), names);
        if (!loaded.ok) {
          refuse(version, loaded.error.message, loaded.error.code !== 'not_found');
          return ok({ version: current?.version, changed: false });
        }
      }
      const loadedSnapshot = createLoadedSnapshot(manifest.value, now());
      if (!loadedSnapshot.ok) {
        refuse(version, loadedSnapshot.error.message, true);
        return ok({ version: current?.version, changed: false });
      }
      previous = current;
      current = loadedSnapshot.value;
      if (options.mode === 'eager') {
        // only now that the new snapshot is in: documents it does not reference are dropped
        const live = new Set(Object.values(manifest.value.services));
        for (const h of [...views.keys()]) if (!live.has(h)) views.delete(h);
      }
      checkedAt = current.loadedAt;
      lastError = undefined;
      log.info({ version, hash: manifest.value.hash }, 'snapshot loaded');
      return ok({ version, changed: true });
    } catch (e) {
      lastError = `store unreachable: ${(e as Error).message}`;
      return err(new ZkedgeError('store_unavailable', lastError, { cause: e }));
    }
  };

  const refresh = (): Promise<Result<RefreshOutcome>> => {
    if (inflight !== undefined) {
      again = true;
      return inflight;
    }
    inflight = (async () => {
      let result: Result<RefreshOutcome>;
      do {
        again = false;
        result = await refreshOnce();
      } while (again);
      inflight = undefined;
      return result;
    })();
    return inflight;
  };

  return {
    current: () => current,
    refresh,
    lastError: () => lastError,
    checkedAt: () => checkedAt,
    async service(snapshot, name) {
      const hash = own(snapshot.manifest.services, name);
      if (hash === undefined) return ok(undefined);
      const cached = views.get(hash);
      if (cached !== undefined) return ok(cached);
      try {
        const loaded = await loadDocuments([hash], [name]);
        if (loaded.ok) return ok(views.get(hash));
        if (snapshot === current && loaded.error.code !== 'not_found') {
          refuse(snapshot.version, loaded.error.message, true);
          current = previous?.version !== snapshot.version ? previous : undefined;
          previous = undefined;
        }
        return loaded;
      } catch (e) {
        return err(new ZkedgeError('store_unavailable', `loading service ${name}: ${(e as Error).message}`, { cause: e }));
      }
    },
  };
}
