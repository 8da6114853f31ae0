// DNS lookup that checks every address a target name resolves to before a socket is opened, so a
// name cannot point the edge at a link-local or cloud-metadata address (DNS rebinding included:
// the check runs on every connect).
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';

export type AddressCheck = (address: string) => string | undefined; // a reason when refused

export class TargetRefusedError extends Error {
  readonly code = 'ETARGETREFUSED';
}

/** Wraps `lookup` (dns.lookup by default); answers only the allowed addresses, or an error naming the refused ones. */
export function createGuardedLookup(check: AddressCheck, lookup: typeof dnsLookup = dnsLookup): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const refused: string[] = [];
      const allowed = addresses.filter((a) => {
        const reason = check(a.address);
        if (reason !== undefined) refused.push(reason);
        return reason === undefined;
      });
      if (allowed.length === 0) return callback(new TargetRefusedError(`${hostname} resolves only to refused addresses: ${refused.join('; ')}`));
      if (options.all) return callback(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  }) as LookupFunction;
}
