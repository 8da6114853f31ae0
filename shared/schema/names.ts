// Names of services, routes, instances and config keys (DESIGN.md "ZooKeeper layout").
import { z } from 'zod';

export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
// "__proto__" would silently vanish from every JSON object built from names (it sets the prototype).
const RESERVED = new Set(['.', '..', '__proto__']);

export const NameSchema = z
  .string()
  .regex(NAME_PATTERN, { message: 'expected 1-128 characters of A-Z a-z 0-9 . _ -' })
  .refine((s) => !RESERVED.has(s), { message: 'must not be ".", ".." or "__proto__"' });

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && !RESERVED.has(name);
}
