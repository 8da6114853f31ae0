// RFC 8785 (JCS) canonical JSON: sorted keys by UTF-16 code units, ECMAScript number form, no spaces.

/**
 * Serialises a JSON value canonically. Throws on values JSON cannot hold (NaN, Infinity, functions,
 * bigint): the caller passes parsed JSON, so that is a programmer error.
 */
export function canonicalJson(value: unknown): string {
  // Fast path: data whose object keys are already in order (as the daemon writes them) is exactly
  // what the engine's JSON.stringify produces — the same number and string forms (RFC 8785 §3.2.2).
  if (isCanonicalOrder(value)) return JSON.stringify(value);
  // Otherwise sort a copy (objects already in order are shared, not copied) and let the engine
  // serialise it; only objects with integer-like keys, which engines always put first, need the
  // slow path.
  const sorted = sortedCopy(value);
  return sorted === SLOW ? slowCanonicalJson(value) : JSON.stringify(sorted);
}

const SLOW = Symbol('slow');
const INTEGER_KEY = /^(0|[1-9][0-9]{0,9})$/;

function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'number' && !Number.isFinite(value) ? SLOW : value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i] === undefined ? null : sortedCopy(value[i]);
      if (v === SLOW) return SLOW;
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return out ?? value;
  }
  if (isCanonicalOrder(value)) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort()) {
    if (INTEGER_KEY.test(key)) return SLOW;
    if (obj[key] === undefined) continue;
    const v = sortedCopy(obj[key]);
    if (v === SLOW) return SLOW;
    out[key] = v;
  }
  return out;
}

/** True when every object's keys are sorted by UTF-16 code units and no value needs special handling. */
function isCanonicalOrder(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (Array.isArray(value)) {
        for (const v of value) if (v === undefined || !isCanonicalOrder(v)) return false;
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
      const obj = value as Record<string, unknown>;
      let previous: string | undefined;
      for (const key in obj) {
        if (previous !== undefined && !(previous < key)) return false;
        previous = key;
        const v = obj[key];
        if (v === undefined || !isCanonicalOrder(v)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

function slowCanonicalJson(value: unknown): string {
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
      if (Array.isArray(value)) return `[${value.map((v) => slowCanonicalJson(v === undefined ? null : v)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${slowCanonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${typeof value} is not valid JSON`);
  }
}
