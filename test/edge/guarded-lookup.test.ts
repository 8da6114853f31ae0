import type { lookup as dnsLookup } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { createGuardedLookup } from '../../edge/node/guarded-lookup.ts';
import { createUndiciTransport } from '../../edge/node/undici-transport.ts';
import { createTargetPolicy } from '../../shared/net/allowed-targets.ts';
import { UpstreamError } from '../../edge/core/transport.ts';

// A resolver standing in for DNS: names → addresses. Nothing here opens a socket to a non-loopback address.
const fakeDns = (table: Record<string, string[]>) =>
  ((hostname: string, _opts: unknown, cb: (e: Error | null, a: Array<{ address: string; family: number }>) => void) => {
    const addrs = table[hostname];
    if (addrs === undefined) return cb(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    cb(null, addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }) as unknown as typeof dnsLookup;

describe('resolved-address check on Node', () => {
  const dns = fakeDns({ 'metadata.attacker.test': ['169.254.169.254'], 'mixed.test': ['fe80::1', '127.0.0.1'], 'ok.test': ['127.0.0.1'] });

  it('refuses a name that resolves only to a metadata address, before any socket is opened', async () => {
    const lookup = createGuardedLookup(createTargetPolicy(undefined).reasonRefusedAddress, dns);
    const result = await new Promise<unknown>((resolve) => lookup('metadata.attacker.test', {}, (err) => resolve(err)));
    expect(String(result)).toMatch(/resolves only to refused addresses: address 169\.254\.169\.254 is link-local/);
  });

  it('keeps only the allowed addresses of a name', async () => {
    const lookup = createGuardedLookup(createTargetPolicy(undefined).reasonRefusedAddress, dns);
    const result = await new Promise<unknown>((resolve) => lookup('mixed.test', { all: true }, (_e, addrs) => resolve(addrs)));
    expect(result).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });

  it('allows a link-local address that allowedTargets names explicitly', async () => {
    const lookup = createGuardedLookup(createTargetPolicy(['169.254.0.0/16', 'metadata.attacker.test']).reasonRefusedAddress, dns);
    const result = await new Promise<unknown>((resolve) => lookup('metadata.attacker.test', {}, (_e, address) => resolve(address)));
    expect(result).toBe('169.254.169.254');
  });

  it('makes the transport fail with a refusal, not a connection attempt', async () => {
    const t = createUndiciTransport({ lookup: dns });
    try {
      const err = await t
        .transport({ url: new URL('http://metadata.attacker.test:8080/x'), method: 'GET', headers: new Headers(), body: null, timeoutMs: 1_000, addressCheck: createTargetPolicy(undefined).reasonRefusedAddress, poolKey: 'svc' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamError);
      expect((err as UpstreamError).kind).toBe('refused');
    } finally {
      await t.close();
    }
  });
});
