// SHA-256 over canonical JSON through WebCrypto, identical in Node and workerd.
import { canonicalJson } from './canonical-json.ts';

const encoder = new TextEncoder();

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(text));
  const bytes = new Uint8Array(digest);
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Hash of a JSON value: SHA-256 hex of its RFC 8785 form. */
export function hashJson(value: unknown): Promise<string> {
  return sha256Hex(canonicalJson(value));
}
