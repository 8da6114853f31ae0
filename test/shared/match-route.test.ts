import { describe, expect, it } from 'vitest';
import { createRouteTable, prefixMatches } from '../../shared/route/match-route.ts';

const table = createRouteTable({
  root: { host: 'api.example.com', pathPrefix: '/' },
  v1: { host: 'api.example.com', pathPrefix: '/v1' },
  v1users: { host: 'api.example.com', pathPrefix: '/v1/users' },
  anyStatic: { host: '*', pathPrefix: '/static' },
  anyRoot: { host: '*', pathPrefix: '/' },
  shop: { host: 'shop.example.com', pathPrefix: '/cart' },
});

describe('route matching', () => {
  it.each([
    ['api.example.com', '/v1', 'v1'],
    ['api.example.com', '/v1/x', 'v1'],
    ['api.example.com', '/v10', 'root'],
    ['api.example.com', '/v1/users/7', 'v1users'],
    ['API.Example.COM:8443', '/v1/users', 'v1users'],
    ['api.example.com', '/static/app.js', 'root'],
    ['other.example.com', '/static/app.js', 'anyStatic'],
    ['other.example.com', '/staticky', 'anyRoot'],
    ['shop.example.com', '/cart/1', 'shop'],
    ['shop.example.com', '/checkout', 'anyRoot'],
    ['[::1]:8787', '/x', 'anyRoot'],
  ])('routes host %s path %s to %s', (host, path, expected) => {
    expect(table.match(host, path)?.name).toBe(expected);
  });

  it('finds nothing when no route and no "*" route matches', () => {
    const t = createRouteTable({ a: { host: 'a.example.com', pathPrefix: '/a' } });
    expect(t.match('a.example.com', '/b')).toBeUndefined();
    expect(t.match('b.example.com', '/a')).toBeUndefined();
  });

  it.each([
    ['/', '/anything', true],
    ['/v1', '/v1', true],
    ['/v1', '/v1/', true],
    ['/v1', '/v10', false],
    ['/v1/a', '/v1', false],
  ])('prefix %s on path %s is %s', (prefix, path, expected) => {
    expect(prefixMatches(prefix, path)).toBe(expected);
  });
});
