// Names of services, routes, instances and config keys (DESIGN.md "ZooKeeper layout").
import { z } from 'zod';

export const NAME_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

export const NameSchema = z
  .string()
  .regex(NAME_PATTERN, { message: 'expected 1-128 characters of A-Z a-z 0-9 . _ -' })
  .refine((s) => s !== '.' && s !== '..', { message: 'must not be "." or ".."' });

export function isValidName(name: string): boolean {
  return NAME_PATTERN.test(name) && name !== '.' && name !== '..';
}
