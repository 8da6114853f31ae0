// The pin node (/control/pin): `{"version": V}` pins `current` to V; no node means unpinned.
import { z } from 'zod';
import { ZkedgeError, err, ok, type Result } from '../shared/errors.ts';
import { describeIssues } from '../shared/schema/parse.ts';

export const PinSchema = z.object({ version: z.number().int().positive({ message: 'expected a positive integer version' }), at: z.string().optional() });

/** Parses the pin node's data; null (no node) or empty data means unpinned. */
export function parsePin(data: string | null): Result<number | undefined> {
  if (data === null || data.trim() === '') return ok(undefined);
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return err(new ZkedgeError('invalid_json', 'pin: expected {"version": V}, got text that is not JSON'));
  }
  const parsed = PinSchema.safeParse(value);
  return parsed.success ? ok(parsed.data.version) : err(new ZkedgeError('invalid_input', `pin: ${describeIssues(parsed.error.issues)}`));
}
