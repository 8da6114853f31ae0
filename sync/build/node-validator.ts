// Validation with memory: each ZooKeeper node keeps its last good value when its data turns invalid.
import type { Result } from '../../shared/errors.ts';

/** `once`: the same path and reason are reported only the first time (the service is rebuilt often). */
export type Report = { path: string; reason: string; severity: 'error' | 'warning'; once?: boolean };

export type NodeValidator = {
  /**
   * Returns the value to publish for `path`: the parsed data when valid, else the last good value
   * (undefined when there never was one). Reports once per distinct raw data, not on every build.
   */
  validate<T>(path: string, raw: string, parse: (raw: string) => Result<T>, warnings?: (value: T) => string[]): T | undefined;
  /** Seeds a last good value (from the last published snapshot) for a node not read yet. */
  seed(path: string, value: unknown): void;
  /** Number of remembered nodes. */
  size(): number;
  /** Forgets nodes that are gone, so a re-created node starts without a last good value. */
  prune(isLive: (path: string) => boolean): void;
};

type Memo = { raw: string | undefined; value: unknown };

export function createNodeValidator(onReport: (r: Report) => void): NodeValidator {
  const memos = new Map<string, Memo>();
  return {
    validate(path, raw, parse, warnings) {
      const memo = memos.get(path);
      if (memo !== undefined && memo.raw === raw) {
        return memo.value as never;
      }
      const parsed = parse(raw);
      if (parsed.ok) {
        memos.set(path, { raw, value: parsed.value });
        for (const w of warnings?.(parsed.value) ?? []) onReport({ path, reason: w, severity: 'warning' });
        return parsed.value;
      }
      const kept = memo?.value;
      const outcome = kept === undefined ? 'left out (never valid)' : 'kept its last good value';
      onReport({ path, reason: `${parsed.error.message}; ${outcome}`, severity: 'error' });
      memos.set(path, { raw, value: kept });
      return kept as never;
    },
    seed(path, value) {
      if (!memos.has(path)) memos.set(path, { raw: undefined, value });
    },
    size: () => memos.size,
    prune(isLive) {
      for (const path of memos.keys()) if (!isLive(path)) memos.delete(path);
    },
  };
}
