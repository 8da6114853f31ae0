import { describe, expect, it } from 'vitest';
import { createTargetPolicy } from '../../shared/net/allowed-targets.ts';

describe('target policy', () => {
  it.each([
    [undefined, '127.0.0.1', true],
    [undefined, '169.254.169.254', false],
    [undefined, 'fe80::1', false],
    [undefined, '::ffff:169.254.169.254', false],
    [undefined, 'metadata.google.internal', false],
    [['169.254.10.0/24'], '169.254.10.5', true],
    [['10.0.0.0/8', '*.svc.internal'], '10.1.2.3', true],
    [['10.0.0.0/8', '*.svc.internal'], '127.0.0.1', false],
    [['10.0.0.0/8', '*.svc.internal'], 'api.svc.internal', true],
    [['10.0.0.0/8', '*.svc.internal'], 'svc.internal', false],
    [['10.0.0.0/8', '*.svc.internal'], 'evil.com', false],
    [['fd00::/8'], 'fd12::1', true],
    [['127.0.0.1'], '127.0.0.2', false],
  ])('allowedTargets %j decides %s: allowed=%s', (allowed, host, expected) => {
    expect(createTargetPolicy(allowed).isAllowed(host)).toBe(expected);
  });

  it('says why a target is refused and how to allow it', () => {
    expect(createTargetPolicy(undefined).reasonRefused('169.254.169.254')).toMatch(/allowedTargets/);
  });
});
