// One routing contract, run against the Node edge (Redis) and the Workers edge (workerd, KV) with
// the same snapshot, the same requests and the same expected answers.
import type { Backend } from '../../dev/backend.ts';
import { withBucketTables } from '../../sync/build/route-buckets.ts';
import { hashJson } from '../../shared/snapshot/hash.ts';
import { rootHashInput } from '../../shared/schema/snapshot.ts';
import { rendezvousPick } from '../../shared/select/rendezvous.ts';
import { createBucketLookup } from '../../shared/select/bucket-table.ts';
import { stickyBucket } from '../../shared/select/sticky-hash.ts';
import { buildTestSnapshot, type TestSnapshot } from '../helpers/worker.ts';

export type ContractRequest = { host: string; path: string; headers?: Record<string, string> };
export type ContractExpect = { status: number; backend?: string; backendOneOf?: string[]; code?: string; upstreamPath?: string };
export type ContractCase = { name: string; request: ContractRequest; expect: ContractExpect };

/** The edge's own zone in both runtimes. */
export const EDGE_ZONE = 'eu';

/** Backends b1, b2, b3 answer with `x-backend` and echo the path they got. */
export async function contractSnapshot(b: Record<'b1' | 'b2' | 'b3', Backend>, version: number): Promise<TestSnapshot> {
  const snap = await buildTestSnapshot({
    version,
    services: {
      web: { instances: { w1: { url: b.b1.url } } },
      'api-v1': { instances: { a1: { url: b.b1.url } } },
      'api-v2': { instances: { a2: { url: b.b2.url } } },
      zoned: { instances: { e1: { url: b.b1.url, zone: 'eu' }, u1: { url: b.b2.url, zone: 'us' }, u2: { url: b.b3.url, zone: 'us' } } },
      spill: { instances: { u1: { url: b.b2.url, zone: 'us' } } },
      drained: { config: { weights: { d1: 0 } }, instances: { d1: { url: b.b3.url } } },
      fenced: { config: { allowedTargets: ['10.0.0.0/8'] }, instances: { f1: { url: b.b1.url } } },
      sticky: { config: { lb: 'sticky', stickyKey: 'header:x-user' }, instances: { s1: { url: b.b1.url }, s2: { url: b.b2.url }, s3: { url: b.b3.url, weight: 300 } } },
    },
    routes: {
      web: { host: 'web.test', service: 'web' },
      'web-v1': { host: 'web.test', pathPrefix: '/v1', service: 'api-v1', stripPrefix: true },
      static: { host: '*', pathPrefix: '/static', service: 'web' },
      canary: { host: 'canary.test', split: [{ service: 'api-v1', weight: 70 }, { service: 'api-v2', weight: 30 }], stickyKey: 'header:x-user' },
      zoned: { host: 'zoned.test', service: 'zoned' },
      spill: { host: 'spill.test', service: 'spill' },
      drained: { host: 'drained.test', service: 'drained' },
      fenced: { host: 'fenced.test', service: 'fenced' },
      sticky: { host: 'sticky.test', service: 'sticky' },
      ghost: { host: 'ghost.test', service: 'no-such-service' },
    },
  });
  // Sticky routes carry the bucket table the daemon would derive.
  const routes = withBucketTables(snap.manifest.routes, undefined);
  const body = { schema: snap.manifest.schema, services: snap.manifest.services, routes, config: snap.manifest.config };
  return { manifest: { ...snap.manifest, routes, hash: await hashJson(rootHashInput(body)) }, documents: snap.documents };
}

const backendOfUrl = (b: Record<string, Backend>, url: string) => Object.entries(b).find(([, x]) => x.url === url)![0];

export function contractCases(snap: TestSnapshot, b: Record<'b1' | 'b2' | 'b3', Backend>): ContractCase[] {
  const canary = snap.manifest.routes.canary!;
  const sides = canary.split.map((s) => s.service);
  const lookup = createBucketLookup(canary.buckets!, sides);
  const canaryBackend = (user: string) => (sides[lookup(stickyBucket('canary', user))] === 'api-v1' ? 'b1' : 'b2');
  const stickyIds = ['s1', 's2', 's3'];
  const stickyUrls = [b.b1.url, b.b2.url, b.b3.url];
  const stickyBackend = (user: string) => backendOfUrl(b, stickyUrls[rendezvousPick(user, stickyIds, [100, 100, 300])]!);
  const users = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
  return [
    { name: 'exact host, root prefix', request: { host: 'web.test', path: '/' }, expect: { status: 200, backend: 'b1', upstreamPath: '/' } },
    { name: 'host case and port are ignored', request: { host: 'WEB.Test:8080', path: '/anything' }, expect: { status: 200, backend: 'b1', upstreamPath: '/anything' } },
    { name: 'longest prefix wins and is stripped', request: { host: 'web.test', path: '/v1/users?id=7' }, expect: { status: 200, backend: 'b1', upstreamPath: '/users?id=7' } },
    { name: 'prefixes match on segment boundaries', request: { host: 'web.test', path: '/v10' }, expect: { status: 200, backend: 'b1', upstreamPath: '/v10' } },
    { name: '"*" routes serve other hosts', request: { host: 'other.test', path: '/static/app.js' }, expect: { status: 200, backend: 'b1', upstreamPath: '/static/app.js' } },
    { name: 'no route answers no_route', request: { host: 'other.test', path: '/nope' }, expect: { status: 404, code: 'no_route' } },
    { name: 'a split without the sticky key goes by weight', request: { host: 'canary.test', path: '/' }, expect: { status: 200, backendOneOf: ['b1', 'b2'] } },
    ...users.map((u) => ({ name: `sticky split puts ${u} on the side of its bucket`, request: { host: 'canary.test', path: '/', headers: { 'x-user': u } }, expect: { status: 200, backend: canaryBackend(u) } })),
    ...users.map((u) => ({ name: `sticky lb keeps ${u} on its rendezvous instance`, request: { host: 'sticky.test', path: '/', headers: { 'x-user': u } }, expect: { status: 200, backend: stickyBackend(u) } })),
    { name: 'the local zone is preferred', request: { host: 'zoned.test', path: '/' }, expect: { status: 200, backend: 'b1' } },
    { name: 'a service without local instances spills to other zones', request: { host: 'spill.test', path: '/' }, expect: { status: 200, backend: 'b2' } },
    { name: 'all drained answers no_backend', request: { host: 'drained.test', path: '/' }, expect: { status: 503, code: 'no_backend' } },
    { name: 'a target outside allowedTargets is refused by the edge', request: { host: 'fenced.test', path: '/' }, expect: { status: 503, code: 'no_backend' } },
    { name: 'a split side with no service answers no_backend', request: { host: 'ghost.test', path: '/' }, expect: { status: 503, code: 'no_backend' } },
    { name: 'other /_zkedge/ paths are never proxied', request: { host: 'web.test', path: '/_zkedge/secret' }, expect: { status: 404, code: 'not_found' } },
  ];
}

/** Checks one answer against its case; returns a mismatch description or undefined. */
export async function checkAnswer(c: ContractCase, res: { status: number; backend: string | null; body: string }): Promise<string | undefined> {
  const e = c.expect;
  if (res.status !== e.status) return `status ${res.status}, expected ${e.status} (${res.body.slice(0, 200)})`;
  if (e.backend !== undefined && res.backend !== e.backend) return `backend ${res.backend}, expected ${e.backend}`;
  if (e.backendOneOf !== undefined && !e.backendOneOf.includes(String(res.backend))) return `backend ${res.backend}, expected one of ${e.backendOneOf}`;
  if (e.code !== undefined) {
    const code = (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
    if (code !== e.code) return `error code ${code}, expected ${e.code}`;
  }
  if (e.upstreamPath !== undefined) {
    const path = (JSON.parse(res.body) as { path?: string }).path;
    if (path !== e.upstreamPath) return `upstream path ${path}, expected ${e.upstreamPath}`;
  }
  return undefined;
}
