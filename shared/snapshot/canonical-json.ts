// RFC 8785 (JCS) canonical JSON: sorted keys by UTF-16 code units, ECMAScript number form, no spaces.

/**
 * Serialises a JSON value canonically. Throws on values JSON cannot hold (NaN, Infinity, functions,
 * bigint): the caller passes parsed JSON, so that is a programmer error.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not valid JSON`);
      return JSON.stringify(value); // ECMAScript Number::toString is what RFC 8785 §3.2.2.3 prescribes
    case 'string':
      return JSON.stringify(value); // JSON.stringify escapes exactly the RFC 8785 §3.2.2.2 set
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${typeof value} is not valid JSON`);
  }
}
