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

export type ForwardedInfo = { clientIp: string | undefined; proto: string; host: string; trustForwarded: boolean };

/**
 * Builds the upstream request headers: a copy without hop-by-hop headers, without the client's Host
 * (the transport sets the backend's), with x-forwarded-for/-proto/-host set. Incoming x-forwarded-*
 * are kept (appended to) only when the edge sits behind a proxy it trusts.
 */
export function upstreamHeaders(incoming: Headers, info: ForwardedInfo): Headers {
  const headers = stripHopByHop(new Headers(incoming));
  headers.delete('host');
  headers.delete('content-length'); // the transport frames the streamed body itself
  const prior = info.trustForwarded ? incoming.get('x-forwarded-for') : null;
  const ip = info.clientIp ?? 'unknown';
  headers.set('x-forwarded-for', prior ? `${prior}, ${ip}` : ip);
  if (!info.trustForwarded || !headers.has('x-forwarded-proto')) headers.set('x-forwarded-proto', info.proto);
  if (!info.trustForwarded || !headers.has('x-forwarded-host')) headers.set('x-forwarded-host', info.host);
  return headers;
}
