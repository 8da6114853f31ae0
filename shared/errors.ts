// One error type for the whole plane: a literal code, a human message, an optional cause.

export type ErrorCode =
  | 'invalid_input'
  | 'invalid_json'
  | 'hash_mismatch'
  | 'not_found'
  | 'no_route'
  | 'no_snapshot'
  | 'no_backend'
  | 'upstream_unavailable'
  | 'upstream_timeout'
  | 'unauthorized'
  | 'store_unavailable'
  | 'conflict'
  | 'fenced';

export class ZkedgeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ZkedgeError';
    this.code = code;
  }
}

export type Result<T, E = ZkedgeError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E = ZkedgeError>(error: E): Result<never, E> => ({ ok: false, error });

/** HTTP status for each wire error code (DESIGN.md "Edge HTTP"). */
export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_input: 400,
  invalid_json: 400,
  hash_mismatch: 400,
  not_found: 404,
  no_route: 404,
  no_snapshot: 503,
  no_backend: 503,
  upstream_unavailable: 502,
  upstream_timeout: 504,
  unauthorized: 401,
  store_unavailable: 503,
  conflict: 409,
  fenced: 409,
};

/** The one JSON error shape on the wire. */
export function errorBody(code: ErrorCode, message: string): { error: { code: ErrorCode; message: string } } {
  return { error: { code, message } };
}
