import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BucketTable } from '../../shared/schema/snapshot.ts';
import { bucketQuotas, createBucketLookup, deriveBucketTable, validateBucketTable, type SplitWeight } from '../../shared/select/bucket-table.ts';
import { stickyBucket } from '../../shared/select/sticky-hash.ts';

const BUCKETS = 10_000;

/** The owner of each bucket, computed straight from the ranges (undefined: none). */
function owners(table: BucketTable): Array<string | undefined> {
  const owner = new Array<string | undefined>(BUCKETS).fill(undefined);
  for (const [side, ranges] of Object.entries(table)) for (const [start, end] of ranges) for (let b = start; b < end; b++) owner[b] = side;
  return owner;
}

const count = (table: BucketTable, side: string): number => (table[side] ?? []).reduce((n, [s, e]) => n + e - s, 0);

/** A split over `names` in random order; a weight-0 side is sometimes left out of it. */
function splitArb(names: readonly string[]): fc.Arbitrary<SplitWeight[]> {
  const n = names.length;
  return fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 100 }), { minLength: n, maxLength: n }),
      fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n }),
    )
    .filter(([weights]) => weights.some((w) => w > 0))
    .map(([weights, omit, order]) =>
      names
        .map((service, i) => ({ service, weight: weights[i]!, omit: omit[i]!, key: order[i]! }))
        .filter((s) => s.weight > 0 || !s.omit)
        .sort((a, b) => a.key - b.key)
        .map(({ service, weight }) => ({ service, weight })),
    );
}

/** Tables derived one after another: the first without a previous table, each next from the last. */
function deriveAll(splits: readonly SplitWeight[][]): BucketTable[] {
  const tables: BucketTable[] = [];
  for (const split of splits) tables.push(deriveBucketTable(tables.at(-1), split));
  return tables;
}

const configurations = [
  { sides: 'two sides', splits: fc.array(splitArb(['api-v1', 'api-v2']), { minLength: 2, maxLength: 8 }) },
  {
    sides: 'three to five sides',
    splits: fc.constantFrom(3, 4, 5).chain((n) => fc.array(splitArb(['a', 'b', 'c', 'd', 'e'].slice(0, n)), { minLength: 2, maxLength: 8 })),
  },
];

describe.each(configurations)('bucket tables over random weight changes ($sides)', ({ splits }) => {
  it('partitions [0, 10000) with each side holding its quota after every change', () => {
    fc.assert(
      fc.property(splits, (sequence) => {
        deriveAll(sequence).forEach((table, k) => {
          const split = sequence[k]!;
          expect(validateBucketTable(table, split)).toBeUndefined();
          expect(owners(table).every((o) => o !== undefined)).toBe(true);
          expect(Object.keys(table).sort()).toEqual(split.map((s) => s.service).sort());
          for (const [side, quota] of bucketQuotas(split)) expect(count(table, side)).toBe(quota);
        });
      }),
    );
  });

  it('moves buckets only from sides whose quota dropped to sides whose quota rose, and no more than needed', () => {
    fc.assert(
      fc.property(splits, (sequence) => {
        const tables = deriveAll(sequence);
        for (let k = 1; k < tables.length; k++) {
          const [before, after] = [tables[k - 1]!, tables[k]!];
          const [ownerBefore, ownerAfter] = [owners(before), owners(after)];
          const sides = new Set([...Object.keys(before), ...Object.keys(after)]);
          const delta = new Map([...sides].map((side) => [side, count(after, side) - count(before, side)]));
          const wrongMoves = new Set<string>();
          let moved = 0;
          for (let b = 0; b < BUCKETS; b++) {
            const [from, to] = [ownerBefore[b]!, ownerAfter[b]!];
            if (from === to) continue;
            moved++;
            if (delta.get(from)! >= 0 || delta.get(to)! <= 0) wrongMoves.add(`${from} → ${to}`);
          }
          expect([...wrongMoves]).toEqual([]);
          const rises = [...delta.values()].reduce((sum, d) => sum + Math.max(0, d), 0);
          expect(moved).toBe(rises);
        }
      }),
    );
  });

  it('restores each earlier table exactly when the changes are undone in reverse order', () => {
    fc.assert(
      fc.property(splits, (sequence) => {
        const tables = deriveAll(sequence);
        let undone = tables.at(-1)!;
        for (let k = tables.length - 2; k >= 0; k--) {
          undone = deriveBucketTable(undone, sequence[k]!);
          expect(undone).toStrictEqual(tables[k]);
        }
      }),
    );
  });

  it('keeps every key on its side while the weights stay the same, whatever the split order', () => {
    fc.assert(
      fc.property(splits, fc.array(fc.string(), { minLength: 1, maxLength: 20 }), (sequence, keys) => {
        const table = deriveAll(sequence).at(-1)!;
        const split = sequence.at(-1)!;
        const again = deriveBucketTable(table, [...split].reverse());
        expect(again).toStrictEqual(table);
        const sides = split.map((s) => s.service);
        const [lookup, lookupAgain] = [createBucketLookup(table, sides), createBucketLookup(again, sides)];
        for (const key of keys) {
          const side = lookup(stickyBucket('main', key));
          expect(side).toBeGreaterThanOrEqual(0);
          expect(lookupAgain(stickyBucket('main', key))).toBe(side);
        }
      }),
    );
  });
});

describe('bucket table worked examples', () => {
  const twoSides = (v1: number, v2: number): SplitWeight[] => [
    { service: 'api-v1', weight: v1 },
    { service: 'api-v2', weight: v2 },
  ];

  it('lays out a fresh table as contiguous ranges in split order', () => {
    expect(deriveBucketTable(undefined, twoSides(95, 5))).toStrictEqual({ 'api-v1': [[0, 9500]], 'api-v2': [[9500, 10_000]] });
    expect(deriveBucketTable(undefined, [...twoSides(95, 5)].reverse())).toStrictEqual({ 'api-v1': [[500, 10_000]], 'api-v2': [[0, 500]] });
  });

  it('returns exactly to the first table after 95/5 → 50/50 → 95/5', () => {
    const [first, middle, last] = deriveAll([twoSides(95, 5), twoSides(50, 50), twoSides(95, 5)]);
    expect(middle).toStrictEqual({ 'api-v1': [[0, 5000]], 'api-v2': [[9500, 10_000], [5000, 9500]] });
    expect(last).toStrictEqual(first);
  });

  it.each([
    { path: '5 → 50 → 5', weights: [5, 50, 5] },
    { path: '5 → 50 → 30 → 5', weights: [5, 50, 30, 5] },
    { path: '5 → 20 → 50 → 5', weights: [5, 20, 50, 5] },
  ])('keeps the first 5% [9500, 10000) on api-v2 across $path', ({ weights }) => {
    const tables = deriveAll(weights.map((w) => twoSides(100 - w, w)));
    for (const table of tables) expect(owners(table).slice(9500).every((o) => o === 'api-v2')).toBe(true);
    expect(tables.at(-1)!['api-v2']).toStrictEqual([[9500, 10_000]]);
  });

  const threeSideChanges = [
    {
      change: 'one shrinker feeding two growers gives the first grower its topmost buckets',
      weights: [[60, 20, 20], [20, 40, 40]],
      expected: { a: [[0, 2000]], b: [[6000, 8000], [4000, 6000]], c: [[8000, 10_000], [2000, 4000]] },
    },
    {
      change: 'a side whose weight is unchanged keeps its buckets while others trade',
      weights: [[50, 30, 20], [20, 30, 50]],
      expected: { a: [[0, 2000]], b: [[5000, 8000]], c: [[8000, 10_000], [2000, 5000]] },
    },
    {
      change: 'a side that drops to weight 0 keeps an empty list',
      weights: [[50, 30, 20], [50, 0, 50]],
      expected: { a: [[0, 5000]], b: [], c: [[8000, 10_000], [5000, 8000]] },
    },
  ];
  for (const { change, weights, expected } of threeSideChanges) {
    it(`${change}, and undoing the change restores the table`, () => {
      const splits = weights.map((ws) => ws.map((weight, i) => ({ service: ['a', 'b', 'c'][i]!, weight })));
      const [first, second] = deriveAll(splits);
      expect(second).toStrictEqual(expected);
      expect(deriveBucketTable(second, splits[0]!)).toStrictEqual(first);
    });
  }

  it('drops a side missing from the split and hands its buckets to the sides that grow', () => {
    const previous = { 'api-v1': [[0, 5000]], 'api-v2': [[5000, 9000]], old: [[9000, 10_000]] } satisfies BucketTable;
    expect(deriveBucketTable(previous, twoSides(50, 50))).toStrictEqual({ 'api-v1': [[0, 5000]], 'api-v2': [[5000, 10_000]] });
  });

  it('ignores a previous table that does not partition the buckets and lays out afresh', () => {
    const overlapping = { 'api-v1': [[0, 9600]], 'api-v2': [[9500, 10_000]] } satisfies BucketTable;
    expect(deriveBucketTable(overlapping, twoSides(95, 5))).toStrictEqual({ 'api-v1': [[0, 9500]], 'api-v2': [[9500, 10_000]] });
  });

  it('merges touching ranges of a previous table without moving any bucket', () => {
    const previous = { 'api-v1': [[0, 5], [5, 9500]], 'api-v2': [[9500, 10_000]] } satisfies BucketTable;
    expect(deriveBucketTable(previous, twoSides(95, 5))).toStrictEqual({ 'api-v1': [[0, 9500]], 'api-v2': [[9500, 10_000]] });
  });
});

describe('bucket quotas', () => {
  it.each([
    { weights: [95, 5], quotas: [9500, 500] },
    { weights: [1, 1, 1], quotas: [3334, 3333, 3333] },
    { weights: [2, 1], quotas: [6667, 3333] },
    { weights: [0, 7], quotas: [0, 10_000] },
    { weights: [1, 1, 1, 0, 1, 1, 1], quotas: [1667, 1667, 1667, 0, 1667, 1666, 1666] },
  ])('gives weights $weights the quotas $quotas, remainder ties to the smaller name', ({ weights, quotas }) => {
    const split = weights.map((weight, i) => ({ service: `s${i}`, weight }));
    expect([...bucketQuotas(split).values()]).toEqual(quotas);
  });

  it('rounds each exact share up or down, the larger remainders up', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 12 }), (weights) => {
        fc.pre(weights.some((w) => w > 0));
        const total = weights.reduce((a, b) => a + b, 0);
        const quotas = [...bucketQuotas(weights.map((weight, i) => ({ service: `s${String(i).padStart(2, '0')}`, weight }))).values()];
        expect(quotas.reduce((a, b) => a + b, 0)).toBe(BUCKETS);
        const remainder = (i: number): number => (BUCKETS * weights[i]!) % total;
        const up = quotas.flatMap((q, i) => (q * total > BUCKETS * weights[i]! ? [i] : []));
        const down = quotas.flatMap((q, i) => (q * total < BUCKETS * weights[i]! ? [i] : []));
        quotas.forEach((q, i) => expect(Math.abs(q * total - BUCKETS * weights[i]!)).toBeLessThan(total));
        for (const u of up) for (const d of down) expect(remainder(u) > remainder(d) || (remainder(u) === remainder(d) && u < d)).toBe(true);
      }),
    );
  });
});

describe('stickyBucket', () => {
  // Expected values computed once by an independent Python FNV-1a implementation.
  it.each([
    { route: '', key: '', bucket: 6351 },
    { route: 'main', key: 'user-42', bucket: 9744 },
    { route: 'checkout', key: 'ünïcødé-🙂', bucket: 6695 },
    { route: 'a', key: 'b', bucket: 4690 },
  ])('hashes route $route and key $key to bucket $bucket', ({ route, key, bucket }) => {
    expect(stickyBucket(route, key)).toBe(bucket);
  });

  it('always gives an integer bucket in [0, 10000)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (route, key) => {
        const bucket = stickyBucket(route, key);
        expect(Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKETS).toBe(true);
      }),
    );
  });
});

describe('bucket lookup and validation', () => {
  const split = [
    { service: 'a', weight: 1 },
    { service: 'b', weight: 1 },
  ];

  it('finds the index of the owning side, or -1 for a bucket no listed side owns', () => {
    const lookup = createBucketLookup({ a: [[0, 5000]], b: [[5000, 10_000]] }, ['b', 'a']);
    expect([0, 4999, 5000, 9999, 10_000, -1, 1.5].map(lookup)).toEqual([1, 1, 0, 0, -1, -1, -1]);
    expect(createBucketLookup({ a: [[0, 5000]], b: [[5000, 10_000]] }, ['a'])(7000)).toBe(-1);
  });

  it('accepts a table that partitions the buckets by the quotas, a quota-0 side absent', () => {
    expect(validateBucketTable({ a: [[0, 5000]], b: [[5000, 10_000]] }, split)).toBeUndefined();
    const withZero = [
      { service: 'a', weight: 1 },
      { service: 'c', weight: 0 },
    ];
    expect(validateBucketTable({ a: [[0, 10_000]] }, withZero)).toBeUndefined();
  });

  const malformed: Array<{ problem: string; table: BucketTable; message: string }> = [
    { problem: 'overlapping ranges', table: { a: [[0, 5001]], b: [[5000, 10_000]] }, message: 'bucket 5000 on "a" and "b"' },
    { problem: 'a gap', table: { a: [[0, 4999]], b: [[5000, 10_000]] }, message: 'bucket 4999 with none' },
    { problem: 'wrong counts', table: { a: [[0, 6000]], b: [[6000, 10_000]] }, message: 'expected 5000 buckets on "a" (its quota), got 6000' },
    { problem: 'an unknown side', table: { a: [[0, 5000]], z: [[5000, 10_000]] }, message: 'got side "z"' },
    { problem: 'an empty or reversed range', table: { a: [[0, 5000], [7000, 7000]], b: [[5000, 10_000]] }, message: 'got [7000, 7000]' },
    { problem: 'a range past the last bucket', table: { a: [[0, 5000]], b: [[5000, 10_001]] }, message: 'got [5000, 10001]' },
  ];

  it.each(malformed)('rejects a table with $problem', ({ table, message }) => {
    expect(validateBucketTable(table, split)).toContain(message);
  });

  it('reports a split without a positive weight instead of throwing', () => {
    expect(validateBucketTable({}, [{ service: 'a', weight: 0 }])).toContain('expected at least one positive weight');
  });
});
