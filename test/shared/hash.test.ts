import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../shared/snapshot/canonical-json.ts';
import { hashJson, sha256Hex } from '../../shared/snapshot/hash.ts';

function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, random));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  entries.sort(() => random() - 0.5);
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, random)]));
}

describe('canonical JSON and hashing', () => {
  it('matches the RFC 8785 examples for key order and number form', () => {
    expect(canonicalJson({ b: 1, a: [1e21, 0.000001, -0, 'é\u2028'], c: { z: null, y: true } })).toBe(
      '{"a":[1e+21,0.000001,0,"é\u2028"],"b":1,"c":{"y":true,"z":null}}',
    );
    // UTF-16 code-unit order: "\u20ac" (€) sorts before "\ud83d\ude00" (😀) and after "z"
    expect(canonicalJson({ '😀': 1, '€': 2, z: 3 })).toBe('{"z":3,"€":2,"😀":1}');
  });

  it('hashes SHA-256 as the published test vector says', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('gives the same hash whatever the key order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.integer(), async (value, seed) => {
        let s = seed;
        const random = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
        expect(await hashJson(shuffleKeys(value, random))).toBe(await hashJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with a plain reference implementation of RFC 8785 on any value, in any key order', () => {
    const reference = (v: unknown): string => {
      if (v === null || typeof v !== 'object') return JSON.stringify(v);
      if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
      const o = v as Record<string, unknown>;
      return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        let s = seed;
        const random = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
        const shuffled = shuffleKeys(value, random);
        expect(canonicalJson(shuffled)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
    expect(canonicalJson({ b: { '10': 1, '9': 2, a: [{ d: 1, c: 2 }] }, a: 1 })).toBe('{"a":1,"b":{"10":1,"9":2,"a":[{"c":2,"d":1}]}}');
  });

  it('round-trips: parsing the canonical form gives back the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(JSON.parse(canonicalJson(value)))).toBe(canonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });
});
