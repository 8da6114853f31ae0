import { describe, expect, it } from 'vitest';
import { InstanceSchema } from '../../shared/schema/instance.ts';
import { RouteSchema } from '../../shared/schema/route.ts';
import { ServiceConfigSchema } from '../../shared/schema/service-config.ts';
import { parseJsonText, parseValue } from '../../shared/schema/parse.ts';
import { NameSchema } from '../../shared/schema/names.ts';

describe('Instance JSON', () => {
  it.each([
    ['a missing url', {}, 'url'],
    ['weight -1', { url: 'http://10.0.0.1:80', weight: -1 }, 'weight'],
    ['weight 1e9', { url: 'http://10.0.0.1:80', weight: 1e9 }, 'weight'],
    ['a fractional weight', { url: 'http://10.0.0.1:80', weight: 1.5 }, 'weight'],
    ['a url with a query', { url: 'http://10.0.0.1:80/?a=1', weight: 1 }, 'url'],
    ['a url with a fragment', { url: 'http://10.0.0.1:80/#x' }, 'url'],
    ['an ftp url', { url: 'ftp://10.0.0.1/' }, 'url'],
    ['credentials in the url', { url: 'http://user:pw@10.0.0.1/' }, 'url'],
    ['a negative capacity', { url: 'http://10.0.0.1/', capacityRps: -3 }, 'capacityRps'],
    ['a non-string meta value', { url: 'http://10.0.0.1/', meta: { v: 2 } }, 'meta.v'],
  ])('rejects %s and names the field', (_label, value, field) => {
    const r = parseValue(InstanceSchema, value, '/zkedge/services/api/instances/i-1');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toContain(`${field}:`);
      expect(r.error.message).toContain('/zkedge/services/api/instances/i-1');
    }
  });

  it('fills in weight 100 by default and keeps optional fields', () => {
    const r = parseValue(InstanceSchema, { url: 'http://10.0.0.7:8080', zone: 'eu-west', meta: { version: 'v2' } }, 'x');
    expect(r).toEqual({ ok: true, value: { url: 'http://10.0.0.7:8080', weight: 100, zone: 'eu-west', meta: { version: 'v2' } } });
  });

  it('reports bytes that are not JSON with the path and what it got', () => {
    const r = parseJsonText(InstanceSchema, '{not json', '/zkedge/services/api/instances/i-2');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('invalid_json');
      expect(r.error.message).toMatch(/\/zkedge\/services\/api\/instances\/i-2.*\{not json/);
    }
  });
});

describe('names', () => {
  it.each(['', 'a/b', 'a b', 'x'.repeat(129), '..', 'é', '__proto__'])('rejects the name %j', (name) => {
    expect(NameSchema.safeParse(name).success).toBe(false);
  });
  it.each(['api', 'api-v2', 'i_1.eu', 'A'.repeat(128)])('accepts the name %j', (name) => {
    expect(NameSchema.safeParse(name).success).toBe(true);
  });
});

describe('Route JSON', () => {
  it.each([
    ['a route with no service', { host: 'a.example.com' }, 'split'],
    ['an empty split', { host: 'a.example.com', split: [] }, 'split'],
    ['a negative split weight', { host: 'a.example.com', split: [{ service: 'a', weight: -1 }] }, 'split.0.weight'],
    ['a split whose weights sum to 0', { host: 'a.example.com', split: [{ service: 'a', weight: 0 }] }, 'split'],
    ['a service listed twice', { host: 'h', split: [{ service: 'a', weight: 1 }, { service: 'a', weight: 2 }] }, 'split'],
    ['a bad service name', { host: 'h', service: 'a/b' }, 'service'],
    ['a host with a port', { host: 'h.example.com:8080', service: 'a' }, 'host'],
    ['a path without a leading slash', { host: 'h', pathPrefix: 'v1', service: 'a' }, 'pathPrefix'],
    ['a bad sticky key', { host: 'h', service: 'a', stickyKey: 'query:uid' }, 'stickyKey'],
  ])('rejects %s and names the field', (_label, value, field) => {
    const r = parseValue(RouteSchema, value, '/zkedge/routes/main');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(`${field}:`);
  });

  it('turns the service shorthand into a one-entry split and lower-cases the host', () => {
    const r = parseValue(RouteSchema, { host: 'API.Example.com', pathPrefix: '/v1/', service: 'api' }, 'x');
    expect(r).toEqual({
      ok: true,
      value: { host: 'api.example.com', pathPrefix: '/v1', split: [{ service: 'api', weight: 1 }], stripPrefix: false },
    });
  });
});

describe('ServiceConfig JSON', () => {
  it('gives every field its default when the node is empty', () => {
    const r = parseJsonText(ServiceConfigSchema, '', '/zkedge/services/api', {});
    expect(r).toEqual({ ok: true, value: { lb: 'weighted_random', weights: {}, timeoutMs: 10_000, retries: 1 } });
  });
  it.each([
    ['an unknown lb', { lb: 'fastest' }, 'lb'],
    ['a weight override out of range', { weights: { 'i-1': 20_000 } }, 'weights.i-1'],
    ['sticky without a key', { lb: 'sticky' }, 'stickyKey'],
    ['a malformed allowed target', { allowedTargets: ['10.0.0.0/99'] }, 'allowedTargets.0'],
  ])('rejects %s and names the field', (_label, value, field) => {
    const r = parseValue(ServiceConfigSchema, value, '/zkedge/services/api');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(`${field}:`);
  });
});
