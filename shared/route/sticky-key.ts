// Reads a request's identity for a sticky key spec: `header:<name>`, `cookie:<name>` or `ip`.

/** The key's value, or undefined when the request does not carry it (then selection is by weight). */
export function readStickyKey(spec: string | undefined, headers: Headers, clientIp: string | undefined): string | undefined {
  if (spec === undefined) return undefined;
  if (spec === 'ip') return clientIp;
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  const name = spec.slice(colon + 1);
  if (kind === 'header') {
    const v = headers.get(name);
    return v === null || v === '' ? undefined : v;
  }
  if (kind === 'cookie') return cookieValue(headers.get('cookie'), name);
  return undefined;
}

/** The value of cookie `name` in a Cookie header (RFC 6265 §5.4), without quotes; undefined if absent. */
export function cookieValue(header: string | null, name: string): string | undefined {
  if (header === null) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const v = part.slice(eq + 1).trim();
    const unquoted = v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
    return unquoted === '' ? undefined : unquoted;
  }
  return undefined;
}

/** A request's sticky keys, each spec read once (a route and its service may use the same one). */
export type StickyKeyReader = { stickyKey(spec: string | undefined): string | undefined };

export function createStickyKeyReader(headers: Headers, clientIp: string | undefined): StickyKeyReader {
  const read = new Map<string, string | undefined>();
  return {
    stickyKey(spec) {
      if (spec === undefined) return undefined;
      if (!read.has(spec)) read.set(spec, readStickyKey(spec, headers, clientIp));
      return read.get(spec);
    },
  };
}
