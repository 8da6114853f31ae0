// The edge's read port to a snapshot store (Redis on Node, Workers KV on Workers). Untrusted bytes.

export type SnapshotSource = {
  /** The version `current` points at; undefined when the store has none. Throws when unreachable. */
  currentVersion(): Promise<number | undefined>;
  /** The manifest text of a version, or null. Throws when unreachable. */
  manifest(version: number): Promise<string | null>;
  /** Service documents by hash, in order, null where missing. Throws when unreachable. */
  documents(hashes: readonly string[]): Promise<(string | null)[]>;
};
