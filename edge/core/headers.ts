// Header hygiene for proxying: hop-by-hop headers (RFC 9110 §7.6.1) never cross the edge.

const HOP_BY_HOP = ['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'proxy-authenticate', 'proxy-authorization'];

/** Removes hop-by-hop headers and every header the Connection header names. Mutates `headers`. */
export function stripHopByHop(headers: Headers): Headers {
  const named = headers.get('connection');
  if (named !== null) {
    for (const token of named.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') headers.delete(name);
    }
  }
  for (const h of HOP_BY_HOP) headers.delete(h);
  return headers;
}

export type ForwardedInfo = { clientIp: string | undefined; proto: string; host: string; forwardedFor: string | undefined };

/**
 * Builds the upstream request headers: a copy without hop-by-hop headers, without the client's Host
 * (the transport sets the backend's), with x-forwarded-for/-proto/-host set. `forwardedFor` is the
 * part of the incoming chain the edge trusts (see `trustedChain`); the peer address is appended.
 */
export function upstreamHeaders(incoming: Headers, info: ForwardedInfo): Headers {
  const headers = stripHopByHop(new Headers(incoming));
  headers.delete('host');
  headers.delete('expect'); // the edge's server already answered 100-continue; undici refuses to forward it
  headers.delete('forwarded'); // RFC 7239 from the client is untrusted; x-forwarded-* are set below
  headers.delete('x-zkedge-preview'); // edge-only controls never reach a backend
  headers.delete('x-zkedge-token');
  headers.delete('content-length'); // the transport frames the streamed body itself
  const ip = info.clientIp ?? 'unknown';
  headers.set('x-forwarded-for', info.forwardedFor ? `${info.forwardedFor}, ${ip}` : ip);
  headers.set('x-forwarded-proto', info.proto);
  headers.set('x-forwarded-host', info.host);
  return headers;
}

/**
 * With `trustedHops` proxies in front of the edge, the last `trustedHops` entries of the incoming
 * x-forwarded-for were written by them and are kept, and the client is the entry before those
 * (the first one the trusted proxies saw). With 0 the incoming header is ignored: a client can
 * write anything there.
 */
export function trustedChain(header: string | null, peer: string | undefined, trustedHops: number): { chain: string | undefined; client: string | undefined } {
  if (trustedHops <= 0 || header === null) return { chain: undefined, client: peer };
  const entries = header.split(',').map((e) => e.trim()).filter((e) => e !== '');
  const kept = entries.slice(Math.max(0, entries.length - trustedHops));
  return { chain: kept.length > 0 ? kept.join(', ') : undefined, client: kept[0] ?? peer };
}
