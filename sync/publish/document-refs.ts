// Which service documents the kept versions reference, so a trimmed version's documents are
// deleted once no kept version holds them (DESIGN.md "Snapshot"). Pure bookkeeping.

export type DocumentRefs = {
  /** Records a kept version and the document hashes its manifest references. Idempotent per version. */
  add(version: number, hashes: readonly string[]): void;
  /** Forgets trimmed versions; returns the hashes no kept version references any more. */
  release(versions: readonly number[]): string[];
  has(version: number): boolean;
  clear(): void;
};

export function createDocumentRefs(): DocumentRefs {
  const byVersion = new Map<number, readonly string[]>();
  const counts = new Map<string, number>();
  return {
    add(version, hashes) {
      if (byVersion.has(version)) return;
      const unique = [...new Set(hashes)];
      byVersion.set(version, unique);
      for (const h of unique) counts.set(h, (counts.get(h) ?? 0) + 1);
    },
    release(versions) {
      const orphans: string[] = [];
      for (const v of versions) {
        const hashes = byVersion.get(v);
        if (hashes === undefined) continue; // never known: its documents may leak, never wrongly go
        byVersion.delete(v);
        for (const h of hashes) {
          const n = (counts.get(h) ?? 1) - 1;
          if (n > 0) counts.set(h, n);
          else {
            counts.delete(h);
            orphans.push(h);
          }
        }
      }
      return orphans;
    },
    has: (version) => byVersion.has(version),
    clear() {
      byVersion.clear();
      counts.clear();
    },
  };
}
