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
  // One 8-byte record per column (threshold, then the target of the alias branch), mapped to the
  // caller's indexes: a pick touches one cache line however large the table (flat cost at 100k).
  const buffer = new ArrayBuffer(n * 8);
  const threshold = new Float32Array(buffer);
  const target = new Uint32Array(buffer);
  const own = Uint32Array.from(live);
  const identity = n === weights.length; // no weight-0 entry: column c is entry c
  for (let c = 0; c < n; c++) {
    threshold[2 * c] = Math.fround(prob[c] as number) >= 1 ? 2 : (prob[c] as number); // ≥ 1: never take the alias
    target[2 * c + 1] = own[alias[c] as number] as number;
  }
  return {
    size: n,
    pick(random) {
      const u = random() * n;
      const column = Math.min(n - 1, Math.floor(u));
      if (u - column >= (threshold[2 * column] as number)) return target[2 * column + 1] as number;
      return identity ? column : (own[column] as number);
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
