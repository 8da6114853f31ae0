// Own-property lookup for records keyed by untrusted names: `obj[name]` would find Object.prototype
// members for names such as "constructor" or "toString", which are valid zkedge names.

export function own<T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}
