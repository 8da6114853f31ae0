// Boundary parsing: bytes or values → typed data, or an error naming each bad field and the fix.
import type { z } from 'zod';
import { ZkedgeError, err, ok, type Result } from '../errors.ts';

/** Formats zod issues as `field: message` lines; the field path is dotted (`split.0.weight`). */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(value)';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses a JSON value with a schema; never throws. `where` names the source (a path, a key). */
export function parseValue<S extends z.ZodType>(schema: S, value: unknown, where: string): Result<z.infer<S>> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return ok(parsed.data);
  return err(new ZkedgeError('invalid_input', `invalid data at ${where}: ${describeIssues(parsed.error.issues)}`));
}

/** Deepest nesting of arrays and objects accepted in node data (deeper JSON overflows recursive validators). */
export const MAX_JSON_DEPTH = 64;

/** Nesting depth of JSON text, counted without parsing (brackets inside strings are skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92 /* \ */) i++;
      else if (ch === 34 /* " */) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) max = Math.max(max, ++depth);
    else if (ch === 93 || ch === 125) depth--;
  }
  return max;
}

/** Decodes UTF-8 JSON text and validates it; never throws. Empty text is `emptyAs` when given. */
export function parseJsonText<S extends z.ZodType>(
  schema: S,
  text: string,
  where: string,
  emptyAs?: unknown,
): Result<z.infer<S>> {
  if (text.trim() === '' && emptyAs !== undefined) return parseValue(schema, emptyAs, where);
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) {
    return err(new ZkedgeError('invalid_input', `invalid data at ${where}: expected JSON nested at most ${MAX_JSON_DEPTH} levels deep, got ${depth}`));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const preview = text.length > 40 ? `${text.slice(0, 40)}…` : text;
    return err(new ZkedgeError('invalid_json', `invalid JSON at ${where}: expected a JSON document, got ${JSON.stringify(preview)}`, { cause }));
  }
  return parseValue(schema, value, where);
}
