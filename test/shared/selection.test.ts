import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSmoothRoundRobin } from '../../shared/select/smooth-round-robin.ts';
import { rendezvousPick, unitHash } from '../../shared/select/rendezvous.ts';
import { zoneShares } from '../../shared/select/zones.ts';
import { seededRandom } from '../../shared/select/alias-table.ts';
import { createInstancePicker } from '../../edge/core/instance-picker.ts';
import { createServiceView } from '../../edge/core/service-view.ts';
import type { ServiceDocument } from '../../shared/schema/snapshot.ts';

describe('smooth weighted round robin', () => {
  it('gives exact proportions in every window of sum(weights) picks, never picking weight 0', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 8 }), (weights) => {
        fc.pre(weights.some((w) => w > 0));
        const rr = createSmoothRoundRobin(weights);
        const total = weights.reduce((a, b) => a + b, 0);
        for (let window = 0; window < 3; window++) {
          const counts = new Array<number>(weights.length).fill(0);
          for (let i = 0; i < total; i++) counts[rr.pick()]! += 1;
          expect(counts).toEqual(weights);
        }
      }),
    );
  });
  it('spreads the heavy instance out (5:1:1 → a a b a c a a)', () => {
    const rr = createSmoothRoundRobin([5, 1, 1]);
    expect(Array.from({ length: 7 }, () => 'abc'[rr.pick()]).join(' ')).toBe('a a b a c a a');
  });
});

describe('weighted rendezvous hashing', () => {
  it('moves only the keys of a removed instance', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 8, maxLength: 8 }), fc.nat(), (ids, ws, drop) => {
        const weights = ids.map((_, i) => ws[i]!);
        const gone = drop % ids.length;
        const keptIds = ids.filter((_, i) => i !== gone);
        const keptWeights = weights.filter((_, i) => i !== gone);
        for (let k = 0; k < 200; k++) {
          const key = `user-${k}`;
          const before = ids[rendezvousPick(key, ids, weights)];
          const after = keptIds[rendezvousPick(key, keptIds, keptWeights)];
          if (before !== ids[gone]) expect(after).toBe(before);
        }
      }),
      { numRuns: 60 },
    );
  });
  it('gives each instance keys in proportion to its weight', () => {
    const ids = ['a', 'b', 'c'];
    const weights = [1, 2, 7];
    const counts = [0, 0, 0];
    const n = 30_000;
    for (let k = 0; k < n; k++) counts[rendezvousPick(`k${k}`, ids, weights)]! += 1;
    weights.forEach((w, i) => expect(Math.abs(counts[i]! / n - w / 10)).toBeLessThan(0.015));
  });
  it('hashes into the open interval (0, 1)', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const u = unitHash(s);
      expect(u).toBeGreaterThan(0);
      expect(u).toBeLessThan(1);
    }));
  });
});

describe('zone preference with spill-over', () => {
  it.each([
    ['a healthy local zone takes everything', [['eu', 10, 10], ['us', 10, 10]], 'eu', { eu: 1 }],
    ['a half-healthy local zone keeps 70% (0.5 × 1.4)', [['eu', 10, 5], ['us', 10, 10]], 'eu', { eu: 0.7, us: 0.3 }],
    ['an empty local zone spills everything, by healthy weight', [['eu', 10, 0], ['us', 10, 10], ['ap', 10, 5]], 'eu', { us: 2 / 3, ap: 1 / 3 }],
    ['no local zone spreads by healthy weight', [['eu', 10, 10], ['us', 30, 30]], undefined, { eu: 0.25, us: 0.75 }],
    ['an unknown local zone spreads by healthy weight', [['eu', 10, 10], ['us', 10, 10]], 'mars', { eu: 0.5, us: 0.5 }],
    ['a local zone that alone is healthy keeps everything', [['eu', 10, 2], ['us', 10, 0]], 'eu', { eu: 1 }],
  ] as const)('%s', (_label, zones, local, expected) => {
    const shares = zoneShares(zones.map(([zone, total, healthy]) => ({ zone, total, healthy })), local);
    expect(Object.fromEntries([...shares].map(([z, s]) => [z, Number(s.toFixed(6))]))).toEqual(Object.fromEntries(Object.entries(expected).map(([z, s]) => [z, Number(s.toFixed(6))])));
  });
});

const doc = (lb: ServiceDocument['config']['lb'], instances: Record<string, { weight: number; zone?: string }>): ServiceDocument => ({
  name: 'svc',
  config: { lb, weights: {}, timeoutMs: 1_000, retries: 1, ...(lb === 'sticky' ? { stickyKey: 'header:x-user' as const } : {}) },
  instances: Object.fromEntries(Object.entries(instances).map(([id, i]) => [id, { url: `http://127.0.0.1:1/${id}`, ...i }])),
});

describe('instance picker', () => {
  const ctx = (seed = 1, extra: Partial<{ stickyKey: string; localZone: string; now: number }> = {}) => ({ random: seededRandom(seed), now: 0, stickyKey: undefined, localZone: undefined, ...extra });

  it('never picks an ejected instance while fewer than half are ejected, and its cooldown doubles', () => {
    const view = createServiceView(doc('weighted_random', { a: { weight: 1 }, b: { weight: 1 }, c: { weight: 1 } }), 'h');
    const picker = createInstancePicker({ baseMs: 100, maxMs: 1_000 });
    picker.failed('svc', 'a', 0);
    const c = ctx();
    for (let i = 0; i < 300; i++) expect(picker.pick(view, c, new Set())!.id).not.toBe('a');
    expect(picker.ejectedIds('svc', 99)).toEqual(['a']);
    expect(picker.ejectedIds('svc', 100)).toEqual([]);
    picker.failed('svc', 'a', 100); // second failure in a row: 200 ms
    expect(picker.ejectedIds('svc', 299)).toEqual(['a']);
    expect(picker.ejectedIds('svc', 300)).toEqual([]);
  });

  it('ignores ejection when more than half of the instances are ejected (panic threshold)', () => {
    const view = createServiceView(doc('weighted_random', { a: { weight: 1 }, b: { weight: 1 }, c: { weight: 1 } }), 'h');
    const picker = createInstancePicker({ baseMs: 10_000, maxMs: 10_000 });
    picker.failed('svc', 'a', 0);
    picker.failed('svc', 'b', 0);
    const seen = new Set<string>();
    const c = ctx(7);
    for (let i = 0; i < 300; i++) seen.add(picker.pick(view, c, new Set())!.id);
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  });

  it('keeps a sticky key on one instance and spreads keys by rendezvous', () => {
    const view = createServiceView(doc('sticky', { a: { weight: 1 }, b: { weight: 1 } }), 'h');
    const picker = createInstancePicker();
    const first = picker.pick(view, ctx(1, { stickyKey: 'user-42' }), new Set())!.id;
    for (let seed = 2; seed < 50; seed++) expect(picker.pick(view, ctx(seed, { stickyKey: 'user-42' }), new Set())!.id).toBe(first);
  });

  it('prefers the local zone and spills when it is ejected', () => {
    const view = createServiceView(doc('weighted_random', { e1: { weight: 1, zone: 'eu' }, u1: { weight: 1, zone: 'us' }, u2: { weight: 1, zone: 'us' } }), 'h');
    const picker = createInstancePicker({ baseMs: 10_000, maxMs: 10_000 });
    const c = ctx(3, { localZone: 'eu' });
    for (let i = 0; i < 100; i++) expect(picker.pick(view, c, new Set())!.id).toBe('e1');
    picker.failed('svc', 'e1', 0);
    for (let i = 0; i < 100; i++) expect(picker.pick(view, c, new Set())!.zone).toBe('us');
  });

  it('sends least_request traffic away from a busy instance', () => {
    const view = createServiceView(doc('least_request', { a: { weight: 1 }, b: { weight: 1 } }), 'h');
    const picker = createInstancePicker();
    for (let i = 0; i < 10; i++) picker.started('svc', 'a');
    const c = ctx(5);
    let b = 0;
    for (let i = 0; i < 1_000; i++) if (picker.pick(view, c, new Set())!.id === 'b') b++;
    // a is chosen only when both draws land on it: about 25% of the time
    expect(b / 1_000).toBeGreaterThan(0.7);
  });

  it('leaves out instances outside allowedTargets and link-local ones', () => {
    const d = doc('weighted_random', { a: { weight: 1 }, b: { weight: 1 } });
    d.instances.b!.url = 'http://169.254.169.254/';
    expect(createServiceView(d, 'h').instances.map((i) => i.id)).toEqual(['a']);
    d.config.allowedTargets = ['10.0.0.0/8'];
    expect(createServiceView(d, 'h').instances).toEqual([]);
  });
});
