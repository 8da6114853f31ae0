// Weighted random selection by Vose's alias method: O(n) build once per snapshot, O(1) per pick.

export type Random = () => number; // uniform in [0, 1)

export type AliasTable = {
  /** Number of entries with positive weight. */
  readonly size: number;
  /** Index of the picked entry (an index into the weights given to the builder), or -1 when all weights are 0. */
  pick(random: Random): number;
};

/** Builds the table. Weight 0 (or negative, or NaN) entries are never picked. Immutable. */
export function createAliasTable(weights: readonly number[]): AliasTable {
  const live: number[] = [];
  let total = 0;
  weights.forEach((w, i) => {
    if (w > 0 && Number.isFinite(w)) {
      live.push(i);
      total += w;
    }
  });
  const n = live.length;
  if (n === 0) return { size: 0, pick: () => -1 };
  const prob = new Float64Array(n);
  const alias = new Uint32Array(n);
  const scaled = live.map((i) => ((weights[i] as number) * n) / total);
  const small: number[] = [];
  const large: number[] = [];
  scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
  while (small.length > 0 && large.length > 0) {
    const s = small.pop() as number;
    const l = large.pop() as number;
    prob[s] = scaled[s] as number;
    alias[s] = l;
    scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1;
    ((scaled[l] as number) < 1 ? small : large).push(l);
  }
  for (const i of large) prob[i] = 1;
  for (const i of small) prob[i] = 1; // only floating-point residue lands here
  const target = Uint32Array.from(live);
  return {
    size: n,
    pick(random) {
      const u = random() * n;
      const column = Math.min(n - 1, Math.floor(u));
      const entry = u - column < (prob[column] as number) ? column : (alias[column] as number);
      return target[entry] as number;
    },
  };
}

/** A seeded PRNG (mulberry32) for deterministic tests and reproducible benchmarks. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
