// fast-check arbitraries for ZooKeeper node data (garbage, near-valid, valid) and whole trees.
import fc from 'fast-check';
import { z } from 'zod';
import { InstanceSchema } from '../../shared/schema/instance.ts';
import { isValidName } from '../../shared/schema/names.ts';
import { parseJsonText } from '../../shared/schema/parse.ts';
import { RouteSchema } from '../../shared/schema/route.ts';
import { LB_ALGORITHMS, ServiceConfigSchema } from '../../shared/schema/service-config.ts';
import type { TreeState } from '../../sync/zookeeper/tree-cache.ts';
import { createTreePaths } from '../../sync/zookeeper/tree-paths.ts';

const NAME_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-'];

/** Names of Object.prototype members: valid node names ("__proto__" aside) that must not confuse lookups. */
export const PROTOTYPE_NAMES: readonly string[] = Object.getOwnPropertyNames(Object.prototype).filter((n) => isValidName(n));

/**
 * Names the tree cache accepts (it skips any other), with a few common ones so routes and weights
 * often name existing services and instances. fast-check also draws "constructor" and the like.
 */
export const nameArb = fc
  .oneof(
    fc.constantFrom('api', 'web', 'i-1', 'i-2', 'main', 'banner'),
    fc.constantFrom(...PROTOTYPE_NAMES),
    fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 16 }),
  )
  .filter((n) => isValidName(n));

const anyJson = fc.jsonValue({ maxDepth: 2 });
const utf8 = new TextDecoder();

/** Bytes and text that are rarely valid: random strings, decoded random bytes, random JSON. */
export const garbageArb: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 48 }),
  fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.uint8Array({ maxLength: 48 }).map((b) => utf8.decode(b)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.constantFrom('', ' ', '\n', 'null', 'true', '-0', '1e999', '"x"', '[]', '{}', '{', '{"url":', '\u0000', '\ufeff{}', 'NaN', '['.repeat(5000) + ']'.repeat(5000), '{"a":'.repeat(3000) + '1' + '}'.repeat(3000)),
);

const urlArb = fc.oneof(
  fc.constantFrom('http://10.0.0.7:8080', 'https://api.internal', 'http://169.254.169.254', 'http://[::1]:80', 'http://[fe80::1]/', 'http://metadata'),
  fc.constantFrom('ftp://x', 'http://a?b', 'http://a#f', 'http://u:p@a', 'http://', '//a', 'http://2852039166', 'HTTP://A.B'),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.ipV4().map((ip) => `http://${ip}:8080`),
  fc.ipV6().map((ip) => `http://[${ip}]/`),
  fc.string(),
  anyJson,
);
const weightArb = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer(), fc.double(), fc.constantFrom(-1, 10_001, 0.5, '100', null), anyJson);
const extraFieldsArb = fc.dictionary(fc.string(), anyJson, { maxKeys: 2 });
const withExtra = <T extends object>(arb: fc.Arbitrary<T>) => fc.tuple(arb, extraFieldsArb).map(([v, extra]) => JSON.stringify({ ...extra, ...v }));

/** Instance JSON with every field drawn from valid and invalid values. */
export const nearInstanceArb = withExtra(
  fc.record(
    {
      url: urlArb,
      weight: weightArb,
      zone: fc.oneof(nameArb, fc.string(), anyJson),
      capacityRps: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 1e-300, 'fast'), anyJson),
      meta: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.dictionary(fc.string(), anyJson), anyJson),
    },
    { requiredKeys: [] },
  ),
);

const stickyKeyArb = fc.oneof(fc.constantFrom('ip', 'header:x-user-id', 'cookie:uid', 'header:', 'cookie:a b', 'IP'), fc.string(), anyJson);
const targetArb = fc.oneof(
  fc.constantFrom('10.0.0.0/8', '127.0.0.0/8', '127.0.0.1', '::1/128', 'fd00::/8', '169.254.0.0/16', '*.svc.internal', 'api.internal', '10.0.0.0/33', '*', '*.', ' 10.0.0.0/8 '),
  fc.ipV4(),
  fc.domain(),
  fc.string(),
);

/** ServiceConfig JSON with every field drawn from valid and invalid values. */
export const nearServiceConfigArb = withExtra(
  fc.record(
    {
      lb: fc.oneof(fc.constantFrom(...LB_ALGORITHMS, 'random'), fc.string(), anyJson),
      weights: fc.oneof(fc.dictionary(nameArb, weightArb, { maxKeys: 4 }), fc.dictionary(fc.string(), weightArb, { maxKeys: 3 }), anyJson),
      stickyKey: stickyKeyArb,
      timeoutMs: fc.oneof(fc.integer({ min: 1, max: 600_000 }), fc.integer(), fc.double(), anyJson),
      retries: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer(), anyJson),
      allowedTargets: fc.oneof(fc.array(targetArb, { maxLength: 3 }), anyJson),
    },
    { requiredKeys: [] },
  ),
);

const hostArb = fc.oneof(fc.constantFrom('*', 'api.example.com', 'API.Example.COM', 'a:80', '*.example.com', '-a.com', ''), fc.domain(), fc.string(), anyJson);
const splitEntryArb = fc.record({ service: fc.oneof(nameArb, fc.string(), anyJson), weight: fc.oneof(fc.integer({ min: 0, max: 100 }), weightArb) }, { requiredKeys: [] });

/** Route JSON with every field drawn from valid and invalid values. */
export const nearRouteArb = withExtra(
  fc.record(
    {
      host: hostArb,
      pathPrefix: fc.oneof(fc.constantFrom('/', '/v1', '/v1/', '//', 'v1', '/a?b', '/a b', '/a#'), fc.string().map((s) => `/${s}`), anyJson),
      service: fc.oneof(nameArb, fc.string(), anyJson),
      split: fc.oneof(fc.array(splitEntryArb, { maxLength: 4 }), anyJson),
      stickyKey: stickyKeyArb,
      stripPrefix: fc.oneof(fc.boolean(), anyJson),
    },
    { requiredKeys: [] },
  ),
);

const isValid = (schema: z.ZodType, emptyAs?: unknown) => (raw: string) => parseJsonText(schema, raw, '', emptyAs).ok;
export const isValidInstance = isValid(InstanceSchema);
export const isValidServiceConfig = isValid(ServiceConfigSchema, {});
export const isValidRoute = isValid(RouteSchema);
export const isValidConfigValue = isValid(z.json());

/** Instance JSON that passes the schema (a link-local URL still gets it refused by the target policy). */
export const validInstanceArb = fc
  .record(
    {
      url: fc.oneof(fc.integer({ min: 1, max: 65_535 }).map((p) => `http://127.0.0.1:${p}`), fc.ipV4().map((ip) => `http://${ip}:8080`), fc.domain().map((d) => `https://${d}`)),
      weight: fc.integer({ min: 0, max: 10_000 }),
      zone: fc.constantFrom('eu-west', 'us-east', 'ap.south_1'),
      capacityRps: fc.double({ min: 0.001, max: 1e6, noNaN: true }),
      meta: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    },
    { requiredKeys: ['url'] },
  )
  .map((v) => JSON.stringify(v))
  .filter(isValidInstance);

/** ServiceConfig JSON that passes the schema, or empty text (the defaults). */
export const validServiceConfigArb = fc.oneof(
  fc.constant(''),
  fc
    .record(
      {
        lb: fc.constantFrom(...LB_ALGORITHMS),
        weights: fc.dictionary(nameArb, fc.integer({ min: 0, max: 10_000 }), { maxKeys: 4 }),
        stickyKey: fc.constantFrom('ip', 'header:x-user-id', 'cookie:uid'),
        timeoutMs: fc.integer({ min: 1, max: 600_000 }),
        retries: fc.integer({ min: 0, max: 10 }),
        allowedTargets: fc.array(fc.constantFrom('10.0.0.0/8', '127.0.0.0/8', '*.internal', 'api.internal', 'fd00::/8'), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v))
    .filter(isValidServiceConfig),
);

/** Route JSON that passes the schema. */
export const validRouteArb = fc
  .record({
    host: fc.constantFrom('*', 'api.example.com', 'Web.Example.com'),
    pathPrefix: fc.constantFrom('/', '/v1', '/v1/', '/a/b'),
    target: fc.oneof(
      nameArb.map((service) => ({ service })),
      fc.uniqueArray(fc.record({ service: nameArb, weight: fc.integer({ min: 1, max: 100 }) }), { selector: (e) => e.service, minLength: 1, maxLength: 3 }).map((split) => ({ split })),
    ),
    stripPrefix: fc.boolean(),
  })
  .map(({ target, ...r }) => JSON.stringify({ ...r, ...target }))
  .filter(isValidRoute);

/** Any JSON value, as a config node holds it. */
export const validConfigValueArb = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v));

/** Node data of each kind: mostly near-valid, some garbage, some valid. */
const mixed = (valid: fc.Arbitrary<string>, near: fc.Arbitrary<string>) =>
  fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: near, weight: 4 }, { arbitrary: garbageArb, weight: 3 });
export const instanceDataArb = mixed(validInstanceArb, nearInstanceArb);
export const serviceConfigDataArb = mixed(validServiceConfigArb, nearServiceConfigArb);
export const routeDataArb = mixed(validRouteArb, nearRouteArb);
export const configDataArb = fc.oneof(validConfigValueArb, garbageArb);

/** A tree as plain data: a service without a node (config undefined) reads as defaults. */
export type TreeSpec = {
  services: Array<{ name: string; config: string | undefined; instances: Array<[string, string]> }>;
  routes: Array<[string, string]>;
  config: Array<[string, string]>;
};

type NodeArbs = { instance: fc.Arbitrary<string>; service: fc.Arbitrary<string>; route: fc.Arbitrary<string>; config: fc.Arbitrary<string> };
const byName = <T>(t: [string, T]) => t[0];

/** Trees whose node data come from the given arbitraries. */
export function treeSpecArb(data: NodeArbs): fc.Arbitrary<TreeSpec> {
  return fc.record({
    services: fc.uniqueArray(
      fc.record({
        name: nameArb,
        config: fc.option(data.service, { nil: undefined, freq: 4 }),
        instances: fc.uniqueArray(fc.tuple(nameArb, data.instance), { selector: byName, maxLength: 8 }),
      }),
      { selector: (s) => s.name, maxLength: 5 },
    ),
    routes: fc.uniqueArray(fc.tuple(nameArb, data.route), { selector: byName, maxLength: 6 }),
    config: fc.uniqueArray(fc.tuple(nameArb, data.config), { selector: byName, maxLength: 6 }),
  });
}

export const mixedTreeSpecArb = treeSpecArb({ instance: instanceDataArb, service: serviceConfigDataArb, route: routeDataArb, config: configDataArb });
export const validTreeSpecArb = treeSpecArb({ instance: validInstanceArb, service: validServiceConfigArb, route: validRouteArb, config: validConfigValueArb });

export const FUZZ_PATHS = createTreePaths('/fuzz');

/** Number of nodes holding data in a spec. */
export function nodeCount(spec: TreeSpec): number {
  return spec.services.reduce((n, s) => n + (s.config === undefined ? 0 : 1) + s.instances.length, 0) + spec.routes.length + spec.config.length;
}

/** A fresh TreeState for a spec; `reversed` inserts every map in the opposite order. */
export function treeOf(spec: TreeSpec, options: { gen?: number; reversed?: boolean } = {}): TreeState {
  const order = <T>(xs: T[]) => (options.reversed ? [...xs].reverse() : xs);
  const p = FUZZ_PATHS;
  const services = new Map(
    order(spec.services).map((s) => [
      s.name,
      {
        name: s.name,
        node: s.config === undefined ? undefined : { path: p.service(s.name), data: s.config },
        instances: new Map(order(s.instances).map(([id, data]) => [id, { path: p.instance(s.name, id), data }])),
        gen: options.gen ?? 1,
      },
    ]),
  );
  const routes = new Map(order(spec.routes).map(([name, data]) => [name, { path: p.route(name), data }]));
  const config = new Map(order(spec.config).map(([key, data]) => [key, { path: p.configKey(key), data }]));
  return { services, routes, config, zxid: 1 };
}
