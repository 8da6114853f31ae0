// The mass-removal guard (after Pinterest's KingPin and Synapse's use_previous_backends): a change
// that removes more than half of a service's instances at once, or its last one, is held back for
// a hold-down; the held instances stay routable meanwhile. A ZooKeeper glitch must not empty a fleet.
import { own } from '../../shared/own.ts';
import type { ServiceDocument } from '../../shared/schema/snapshot.ts';

export type Hold = { service: string; since: string; releaseAt: string; held: string[]; publishedCount: number; remainingCount: number };

export type GuardResult = {
  /** The documents to publish: candidates, with held instances put back from the published ones. */
  docs: Map<string, ServiceDocument>;
  /** Services whose document the guard changed. */
  changed: Set<string>;
};

export type RemovalGuard = {
  apply(candidates: ReadonlyMap<string, ServiceDocument>, published: ReadonlyMap<string, ServiceDocument>): GuardResult;
  /** Accepts every held removal on the next build (`zkedge guard release`). */
  release(): void;
  /** Forgets every hold: a new leader starts its own hold-down. */
  reset(): void;
  holds(): Hold[];
  /** When the next hold-down ends (ms since epoch), if any. */
  nextDeadline(): number | undefined;
};

type State = { since: number; releaseAt: number; held: string[]; publishedCount: number; remainingCount: number };

export function createRemovalGuard(options: { holdDownMs: number; now?: () => number }): RemovalGuard {
  const now = options.now ?? Date.now;
  const states = new Map<string, State>();

  return {
    apply(candidates, published) {
      const docs = new Map(candidates);
      const changed = new Set<string>();
      const t = now();
      const seen = new Set<string>();
      for (const [name, before] of published) {
        const after = candidates.get(name);
        // The builder reuses the document of an unchanged service: nothing was removed from it.
        if (after === before && !states.has(name)) continue;
        const publishedIds = Object.keys(before.instances);
        if (publishedIds.length === 0) continue;
        const removed = publishedIds.filter((id) => own(after?.instances, id) === undefined);
        if (removed.length * 2 <= publishedIds.length) continue; // not a mass removal
        seen.add(name);
        let state = states.get(name);
        if (state === undefined) {
          state = { since: t, releaseAt: t + options.holdDownMs, held: removed, publishedCount: publishedIds.length, remainingCount: publishedIds.length - removed.length };
          states.set(name, state);
        }
        state.held = removed;
        state.remainingCount = publishedIds.length - removed.length;
        if (t >= state.releaseAt) continue; // the removal persisted past the hold-down: let it through
        const base = after ?? before; // a vanished service keeps its published document
        const instances = { ...base.instances };
        for (const id of removed) instances[id] = own(before.instances, id)!;
        docs.set(name, { ...base, instances });
        changed.add(name);
      }
      for (const name of [...states.keys()]) if (!seen.has(name)) states.delete(name);
      return { docs, changed };
    },
    release() {
      const t = now();
      for (const s of states.values()) s.releaseAt = Math.min(s.releaseAt, t);
    },
    reset() {
      states.clear();
    },
    holds() {
      const t = now();
      return [...states.entries()]
        .filter(([, s]) => s.releaseAt > t)
        .map(([service, s]) => ({ service, since: new Date(s.since).toISOString(), releaseAt: new Date(s.releaseAt).toISOString(), held: s.held, publishedCount: s.publishedCount, remainingCount: s.remainingCount }));
    },
    nextDeadline() {
      const t = now();
      const pending = [...states.values()].map((s) => s.releaseAt).filter((r) => r > t);
      return pending.length === 0 ? undefined : Math.min(...pending);
    },
  };
}
