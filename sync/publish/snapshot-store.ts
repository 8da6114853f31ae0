// The daemon's port to a snapshot store (Redis; Workers KV through the Worker's publish endpoint).
import type { Result } from '../../shared/errors.ts';
import type { Manifest, ServiceDocument } from '../../shared/schema/snapshot.ts';

export type StoreState = {
  /** Highest version ever published (0 when the store is empty). */
  highest: number;
  /** The version `current` points at, if any. */
  current: number | undefined;
  /** Root hash of the highest version's manifest, to skip republishing unchanged content. */
  highestHash: string | undefined;
};

export type PublishInput = {
  manifest: Manifest;
  /** Service documents the manifest references: hash → canonical JSON. The store writes those it lacks. */
  documents: ReadonlyMap<string, string>;
  /** Leader epoch: a store refuses an epoch below the highest that published (fencing). */
  epoch: number;
  /** False while an operator pins an older version: the snapshot is stored but `current` stays. */
  makeCurrent: boolean;
};

export type StoredSnapshot = { manifest: Manifest; documents: Map<string, ServiceDocument> };

export type SnapshotStore = {
  readState(): Promise<Result<StoreState>>;
  /** A stored version with its documents, verified; ok(undefined) when the store lacks it. */
  readSnapshot(version: number): Promise<Result<StoredSnapshot | undefined>>;
  /** Moves `current` to a stored version (pin, unpin), fenced by epoch, and announces it. */
  setCurrent(version: number, epoch: number): Promise<Result<void>>;
  /** False when the store lost `current` or that version's manifest (e.g. Redis restarted empty). */
  isIntact(version: number): Promise<Result<boolean>>;
  /** Forgets which documents were written, so the next publish writes them all again. */
  forgetWritten(): void;
  /** Writes documents, then the manifest, then moves `current`, then announces. Idempotent per version. */
  publish(input: PublishInput): Promise<Result<{ trimmed: number[] }>>;
  close(): Promise<void>;
};
