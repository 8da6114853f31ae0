import { describe, expect, it } from 'vitest';
import { planCapacity, type PlanInput } from '../../shared/plan/plan-capacity.ts';
import type { Manifest, ServiceDocument } from '../../shared/schema/snapshot.ts';

type Inst = { weight: number; capacityRps?: number; zone?: string };
const svc = (name: string, instances: Record<string, Inst>): ServiceDocument => ({
  name,
  config: { lb: 'weighted_random', weights: {}, timeoutMs: 1000, retries: 1 },
  instances: Object.fromEntries(Object.entries(instances).map(([id, i]) => [id, { url: `http://127.0.0.1:9000/${id}`, ...i }])),
});
function fixture(services: ServiceDocument[], routes: Record<string, Array<[string, number]>>) {
  const manifest: Manifest = {
    schema: 1,
    version: 1,
    hash: '0'.repeat(64),
    createdAt: '',
    source: { zxid: '0x0' },
    services: Object.fromEntries(services.map((s) => [s.name, `h-${s.name}`])),
    routes: Object.fromEntries(Object.entries(routes).map(([r, split]) => [r, { host: '*', pathPrefix: `/${r}`, split: split.map(([service, weight]) => ({ service, weight })), stripPrefix: false }])),
    config: {},
  };
  return { manifest, docs: new Map(services.map((s) => [s.name, s])) };
}
const input = (routeRps: Record<string, number>, extra: Partial<PlanInput> = {}): PlanInput => ({ routeRps, edgeZones: {}, targetUtil: 0.8, ...extra });
const rpsOf = (plan: ReturnType<typeof planCapacity>) => Object.fromEntries(plan.services.flatMap((s) => s.instances.map((i) => [`${s.service}/${i.id}`, Number(i.rps.toFixed(3))])));

describe('capacity plan worked examples', () => {
  it.each([
    {
      name: 'equal weights share equally',
      services: [svc('api', { a: { weight: 100, capacityRps: 100 }, b: { weight: 100, capacityRps: 100 } })],
      routes: { main: [['api', 1]] as Array<[string, number]> },
      rps: { main: 100 },
      extra: {},
      expected: { 'api/a': 50, 'api/b': 50 },
      over: [] as string[],
    },
    {
      name: 'skewed weights overload the small instance',
      services: [svc('api', { a: { weight: 300, capacityRps: 100 }, b: { weight: 100, capacityRps: 100 } })],
      routes: { main: [['api', 1]] as Array<[string, number]> },
      rps: { main: 160 },
      extra: {},
      expected: { 'api/a': 120, 'api/b': 40 },
      over: ['api/a'],
    },
    {
      name: 'a split route divides by split weight',
      services: [svc('v1', { a: { weight: 1, capacityRps: 1000 } }), svc('v2', { b: { weight: 1, capacityRps: 1000 } })],
      routes: { main: [['v1', 75], ['v2', 25]] as Array<[string, number]> },
      rps: { main: 400 },
      extra: {},
      expected: { 'v1/a': 300, 'v2/b': 100 },
      over: [],
    },
    {
      name: 'a drained instance gets nothing and is not listed',
      services: [svc('api', { a: { weight: 100, capacityRps: 100 }, c: { weight: 0, capacityRps: 100 } })],
      routes: { main: [['api', 1]] as Array<[string, number]> },
      rps: { main: 70 },
      extra: {},
      expected: { 'api/a': 70 },
      over: [],
    },
    {
      name: 'edges in eu keep traffic in eu',
      services: [svc('api', { e1: { weight: 100, capacityRps: 100, zone: 'eu' }, e2: { weight: 300, capacityRps: 400, zone: 'eu' }, u1: { weight: 100, capacityRps: 100, zone: 'us' } })],
      routes: { main: [['api', 1]] as Array<[string, number]> },
      rps: { main: 200 },
      extra: { edgeZones: { eu: 1 } },
      expected: { 'api/e1': 50, 'api/e2': 150, 'api/u1': 0 },
      over: [],
    },
    {
      name: 'routes not given get no traffic',
      services: [svc('a', { x: { weight: 1, capacityRps: 10 } }), svc('b', { y: { weight: 1, capacityRps: 10 } })],
      routes: { ra: [['a', 1]] as Array<[string, number]>, rb: [['b', 1]] as Array<[string, number]> },
      rps: { ra: 9 },
      extra: {},
      expected: { 'a/x': 9, 'b/y': 0 },
      over: ['a/x'],
    },
  ])('$name', ({ services, routes, rps, extra, expected, over }) => {
    const { manifest, docs } = fixture(services, routes as unknown as Record<string, Array<[string, number]>>);
    const plan = planCapacity(manifest, docs, input(rps as unknown as Record<string, number>, extra));
    expect(rpsOf(plan)).toEqual(expected);
    expect(plan.overTarget.map((i) => `${i.service}/${i.id}`)).toEqual(over);
  });

  it('finds that losing zone eu overloads the us survivors', () => {
    const { manifest, docs } = fixture([svc('api', { e1: { weight: 100, capacityRps: 100, zone: 'eu' }, u1: { weight: 100, capacityRps: 100, zone: 'us' } })], { main: [['api', 1]] });
    const plan = planCapacity(manifest, docs, input({ main: 120 }));
    expect(plan.overTarget).toEqual([]);
    const eu = plan.zoneLoss.find((z) => z.name === 'zone eu lost')!;
    expect(eu.maxUtil).toBeCloseTo(1.2);
    expect(eu.over.map((o) => o.id)).toEqual(['u1']);
  });

  it('names the N+1 instance and the utilisation left behind', () => {
    const { manifest, docs } = fixture([svc('api', { a: { weight: 100, capacityRps: 100 }, b: { weight: 100, capacityRps: 100 }, c: { weight: 200, capacityRps: 300 } })], { main: [['api', 1]] });
    const plan = planCapacity(manifest, docs, input({ main: 200 }));
    const n1 = plan.services[0]!.nPlusOne!;
    // losing c (100 rps) leaves a and b at 100 each: 100%
    expect(n1.lost).toEqual(['c']);
    expect(n1.maxUtil).toBeCloseTo(1.0);
  });

  it('lists unknown capacity instead of guessing, and advises more instances of the median capacity', () => {
    const { manifest, docs } = fixture([svc('api', { a: { weight: 100, capacityRps: 100 }, b: { weight: 100, capacityRps: 100 }, u: { weight: 100 } })], { main: [['api', 1]] });
    const plan = planCapacity(manifest, docs, input({ main: 600 }));
    const s = plan.services[0]!;
    expect(s.unknownCapacity).toEqual(['u']);
    expect(s.instances.find((i) => i.id === 'u')!.util).toBeUndefined();
    expect(s.advice.weights).toBeUndefined(); // not all capacities known
    expect(s.advice.medianCapacity).toBe(100);
    expect(s.advice.moreInstances).toBe(Math.ceil(600 / 80) - 3);
  });

  it('advises weights proportional to capacity', () => {
    const { manifest, docs } = fixture([svc('api', { a: { weight: 100, capacityRps: 200 }, b: { weight: 100, capacityRps: 800 } })], { main: [['api', 1]] });
    expect(planCapacity(manifest, docs, input({ main: 10 })).services[0]!.advice.weights).toEqual({ a: 25, b: 100 });
  });
});
