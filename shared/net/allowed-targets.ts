// Where the edge may send traffic: a service's allowedTargets, and the addresses refused by default.
import { cidrContains, parseCidr, parseIp, type Cidr } from './ip.ts';

export type TargetPattern = { kind: 'cidr'; cidr: Cidr } | { kind: 'host'; name: string } | { kind: 'suffix'; suffix: string };

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Parses one allowedTargets entry: a CIDR or address, a host name, or `*.suffix`. */
export function parseTargetPattern(raw: string): TargetPattern | undefined {
  const text = raw.trim().toLowerCase();
  const cidr = parseCidr(text);
  if (cidr !== undefined) return { kind: 'cidr', cidr };
  if (text.startsWith('*.') && HOSTNAME.test(text.slice(2))) return { kind: 'suffix', suffix: text.slice(1) };
  if (HOSTNAME.test(text)) return { kind: 'host', name: text };
  return undefined;
}

/** Cloud metadata endpoints and link-local ranges (RFC 3927, RFC 4291): never a backend by accident. */
const FORBIDDEN_BY_DEFAULT = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', '100.100.100.200/32'].map(
  (c) => parseCidr(c) as Cidr,
);
const FORBIDDEN_NAMES = new Set(['metadata.google.internal', 'metadata', 'metadata.azure.internal', 'instance-data']);

/** Hostname of a URL without brackets, lower-case. */
export function hostOf(url: URL): string {
  const h = url.hostname.toLowerCase();
  // "metadata.google.internal." is the same host as without the final dot (RFC 1034 §3.1)
  return (h.startsWith('[') ? h.slice(1, -1) : h).replace(/\.+$/, '');
}

/** True when `host` (a name or an IP literal) matches the pattern. Names match names; IPs match CIDRs. */
export function matchesPattern(pattern: TargetPattern, host: string): boolean {
  if (pattern.kind === 'cidr') {
    const ip = parseIp(host);
    return ip !== undefined && cidrContains(pattern.cidr, ip);
  }
  if (pattern.kind === 'host') return host === pattern.name;
  return host.endsWith(pattern.suffix) && host.length > pattern.suffix.length;
}

export type TargetPolicy = {
  isAllowed(host: string): boolean;
  reasonRefused(host: string): string | undefined;
  /** For an address a target name resolved to: refused when link-local or metadata, unless a CIDR entry allows it. */
  reasonRefusedAddress(address: string): string | undefined;
};

/**
 * Builds the policy of one service. Without allowedTargets every target is allowed except the
 * default-forbidden ones; those are allowed only when an allowedTargets entry matches them.
 */
export function createTargetPolicy(allowedTargets: readonly string[] | undefined): TargetPolicy {
  const patterns = (allowedTargets ?? []).map(parseTargetPattern).filter((p): p is TargetPattern => p !== undefined);
  const reasonRefused = (rawHost: string): string | undefined => {
    const host = rawHost.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.+$/, '');
    const explicitlyAllowed = patterns.some((p) => matchesPattern(p, host));
    if (allowedTargets !== undefined && !explicitlyAllowed) {
      return `target ${host} is outside the service's allowedTargets (${allowedTargets.join(', ')})`;
    }
    if (!explicitlyAllowed && isForbiddenByDefault(host)) {
      return `target ${host} is a link-local or cloud-metadata address: list it in allowedTargets to allow it`;
    }
    return undefined;
  };
  const reasonRefusedAddress = (raw: string): string | undefined => {
    const address = raw.replace(/%.*$/, ''); // an IPv6 zone id is no part of the address
    if (parseIp(address) === undefined) return `resolved address ${JSON.stringify(raw)} is not an IP address`;
    if (!isForbiddenByDefault(address)) return undefined;
    if (patterns.some((p) => p.kind === 'cidr' && matchesPattern(p, address))) return undefined;
    return `address ${address} is link-local or cloud metadata: list it in allowedTargets to allow it`;
  };
  return { reasonRefused, reasonRefusedAddress, isAllowed: (host) => reasonRefused(host) === undefined };
}

export function isForbiddenByDefault(host: string): boolean {
  if (FORBIDDEN_NAMES.has(host)) return true;
  const ip = parseIp(host);
  return ip !== undefined && FORBIDDEN_BY_DEFAULT.some((c) => cidrContains(c, ip));
}
