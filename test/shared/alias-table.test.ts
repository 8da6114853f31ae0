import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAliasTable, seededRandom } from '../../shared/select/alias-table.ts';

describe('weighted random selection (alias method)', () => {
  it('picks each entry with a frequency that converges to its weight share', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 12 }), fc.integer(), (weights, seed) => {
        fc.pre(weights.some((w) => w > 0));
        const table = createAliasTable(weights);
        const random = seededRandom(seed);
        const n = 40_000;
        const counts = new Array<number>(weights.length).fill(0);
        for (let i = 0; i < n; i++) counts[table.pick(random)]! += 1;
        const total = weights.reduce((a, b) => a + b, 0);
        weights.forEach((w, i) => {
          const expected = w / total;
          // 5 standard deviations of a binomial proportion, plus a small floor
          const tolerance = 5 * Math.sqrt((expected * (1 - expected)) / n) + 0.002;
          expect(Math.abs(counts[i]! / n - expected)).toBeLessThanOrEqual(tolerance);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('never picks a weight-0 entry', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 20 }), fc.integer(), (weights, seed) => {
        fc.pre(weights.some((w) => w > 0));
        const table = createAliasTable(weights);
        const random = seededRandom(seed);
        for (let i = 0; i < 2_000; i++) expect(weights[table.pick(random)]).toBeGreaterThan(0);
      }),
    );
  });

  it('gives the same picks for the same seed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 10 }), fc.integer(), (weights, seed) => {
        const table = createAliasTable(weights);
        const a = seededRandom(seed);
        const b = seededRandom(seed);
        for (let i = 0; i < 200; i++) expect(table.pick(a)).toBe(table.pick(b));
      }),
    );
  });

  it('returns -1 when every weight is 0', () => {
    expect(createAliasTable([0, 0]).pick(Math.random)).toBe(-1);
    expect(createAliasTable([]).size).toBe(0);
  });
});
