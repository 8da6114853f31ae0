// Readers' side of the snapshot contract: parse, then check every hash before trusting a byte.
import { ZkedgeError, err, ok, type Result } from '../errors.ts';
import { MAX_JSON_DEPTH, describeIssues, jsonDepth } from '../schema/parse.ts';
import { ManifestSchema, ServiceDocumentSchema, rootHashInput, type Manifest, type ServiceDocument } from '../schema/snapshot.ts';
import { hashJson } from './hash.ts';

/** Stored documents wrap node data (config values, meta) a few levels deep: node data's limit plus that. */
const MAX_STORED_DEPTH = MAX_JSON_DEPTH + 8;

function parseJson(text: string, where: string): Result<Record<string, unknown>> {
  // Hashing and validation recurse: refuse nesting they could not handle, before they throw.
  if (jsonDepth(text) > MAX_STORED_DEPTH) return err(new ZkedgeError('invalid_input', `${where} is nested deeper than ${MAX_STORED_DEPTH} levels`));
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return ok(value as Record<string, unknown>);
  } catch (cause) {
    return err(new ZkedgeError('invalid_json', `${where} is not JSON`, { cause }));
  }
  return err(new ZkedgeError('invalid_json', `${where}: expected a JSON object`));
}

/**
 * Parses a manifest and verifies its root hash over the stored JSON (before any schema
 * normalisation, so a reader never "repairs" a manifest into matching). Never throws.
 */
export async function verifyManifest(text: string, where: string): Promise<Result<Manifest>> {
  const raw = parseJson(text, `manifest ${where}`);
  if (!raw.ok) return raw;
  const parsed = ManifestSchema.safeParse(raw.value);
  if (!parsed.success) {
    return err(new ZkedgeError('invalid_input', `manifest ${where} fails the schema: ${describeIssues(parsed.error.issues)}`));
  }
  const actual = await hashJson(rootHashInput(raw.value as Manifest));
  if (actual !== parsed.data.hash) {
    return err(new ZkedgeError('hash_mismatch', `manifest ${where} refused: root hash is ${actual}, manifest says ${parsed.data.hash}`));
  }
  return ok(parsed.data);
}

/** Parses a service document and verifies that its stored JSON hashes to `expected`. Never throws. */
export async function verifyServiceDocument(text: string, expected: string, where: string): Promise<Result<ServiceDocument>> {
  const raw = parseJson(text, `service document ${where}`);
  if (!raw.ok) return raw;
  const actual = await hashJson(raw.value);
  if (actual !== expected) {
    return err(new ZkedgeError('hash_mismatch', `service document ${where} refused: hashes to ${actual}, expected ${expected}`));
  }
  const parsed = ServiceDocumentSchema.safeParse(raw.value);
  if (!parsed.success) {
    return err(new ZkedgeError('invalid_input', `service document ${where} fails the schema: ${describeIssues(parsed.error.issues)}`));
  }
  return ok(parsed.data);
}
