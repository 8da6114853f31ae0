// 2. Selection cost: ns per pick of each load-balancing algorithm at 10, 1,000 and 100,000 instances.
import { performance } from 'node:perf_hooks';
import { createAliasTable, seededRandom, type AliasTable, type Random } from '../shared/select/alias-table.ts';
import { median, round } from './stats.ts';
import type { BenchContext, Row, Section } from './types.ts';

const SIZES = [10, 1_000, 100_000];
const NOT_IMPLEMENTED = ['round_robin', 'sticky', 'least_request'];

let sink = 0; // keeps the picks observable so the loop is not optimised away

/** Picks `count` times; returns ns per pick. */
function timePicks(table: AliasTable, random: Random, count: number): number {
  let acc = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) acc += table.pick(random);
  const ns = ((performance.now() - t0) * 1e6) / count;
  sink ^= acc;
  return ns;
}

export async function measureSelection(ctx: BenchContext): Promise<Section> {
  const picks = ctx.quick ? 1_000_000 : 5_000_000;
  const reps = ctx.quick ? 3 : 9;
  const weightsRandom = seededRandom(7);
  const tables = SIZES.map((n) => createAliasTable(Array.from({ length: n }, () => 1 + Math.floor(weightsRandom() * 10_000))));
  const sources: Array<[string, Random]> = [
    ['Math.random (what the edge uses)', Math.random],
    ['seeded mulberry32', seededRandom(42)],
  ];
  const results = new Map<string, number[]>();
  for (const t of tables) for (const [name, r] of sources) timePicks(t, r, picks / 5); // warm up every shape
  // Interleaved repetitions, so drift (other load, frequency) hits every size alike.
  for (let rep = 0; rep < reps; rep++) {
    for (const [ti, t] of tables.entries()) {
      for (const [name, r] of sources) {
        const key = `${name}|${SIZES[ti]}`;
        results.set(key, [...(results.get(key) ?? []), timePicks(t, r, picks)]);
      }
    }
  }
  const rows: Row[] = [];
  for (const [name] of sources) {
    for (const n of SIZES) {
      const samples = results.get(`${name}|${n}`)!;
      const goal = name.startsWith('Math') ? { text: 'median ≤ 100 ns', stat: 'p50' as const, op: '<=' as const, limit: 100 } : undefined;
      rows.push({ name: `weighted_random (alias), ${n.toLocaleString('en-US')} instances, ${name}`, unit: 'ns', n: samples.length, p50: median(samples), max: Math.max(...samples), ...(goal ? { goal } : {}) });
    }
    const flat = median(results.get(`${name}|100000`)!) / median(results.get(`${name}|10`)!);
    rows.push({ name: `weighted_random: 100,000 vs 10 instances, ${name}`, unit: '×', p50: flat, ...(name.startsWith('Math') ? { goal: { text: '≤ 1.2×', stat: 'p50' as const, op: '<=' as const, limit: 1.2 } } : {}) });
  }
  for (const lb of NOT_IMPLEMENTED) rows.push({ name: `${lb}, all sizes`, unit: 'ns', status: 'not implemented' });
  const buildNs = SIZES.map((n) => {
    const w = Array.from({ length: n }, (_, i) => 1 + (i % 100));
    const t0 = performance.now();
    createAliasTable(w);
    return (performance.now() - t0) * 1e3;
  });
  return {
    id: 'selection',
    title: '2. Selection cost (ns per pick)',
    rows,
    notes: [
      `Each number is the median of ${reps} timed loops of ${picks.toLocaleString('en-US')} picks (max beside it), sizes interleaved, after a warm-up; weights are random integers 1–10,000. A pick includes drawing the random number: the edge passes \`Math.random\`, so that row carries the goal; the seeded generator (mulberry32, used by tests) is shown for comparison.`,
      `Only \`weighted_random\` (Vose's alias method, shared/select/alias-table.ts) exists; \`${NOT_IMPLEMENTED.join('`, `')}\` are accepted by the schema but not implemented (the edge picks by weight for them), so there is nothing to measure. Building the table (once per service document): ${SIZES.map((n, i) => `${n.toLocaleString('en-US')} → ${round(buildNs[i]!)} µs`).join(', ')} (one cold build each).`,
    ],
    details: { picksPerLoop: picks, reps, samplesNs: Object.fromEntries([...results].map(([k, v]) => [k, v.map(round)])), buildUs: buildNs.map(round), sink },
  };
}
