// Mirrors (Workers KV through the Worker's publish endpoint): each published snapshot is pushed after
// Redis, in order, with retries and backoff; a mirror never holds up Redis publishing.
import type { Result } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { SyncMetrics } from '../metrics.ts';
import type { PublishInput, SnapshotStore } from './snapshot-store.ts';

export type MirrorJob = Omit<PublishInput, 'epoch'>;
type MirrorDeps = { log: Logger; metrics: SyncMetrics; epoch: () => number | undefined; after: (ms: number, fn: () => void) => void };
type Mirror = { store: SnapshotStore; queue: MirrorJob[]; desired?: number; applied?: number; failures: number; waiting: boolean; running?: Promise<void> };
const MIRROR_QUEUE = 100;

/**
 * Makes each mirror follow the primary store: every snapshot the primary took, in order, then its
 * `current`. A failure is logged, counted (store "kv") and retried with backoff; it never delays
 * the primary. Only a leader pushes: a deposed daemon drops its queue. Past 100 pending snapshots
 * the oldest is dropped (the mirror lacks that version; it still gets the newest).
 */
export function createMirrorSync(stores: SnapshotStore[], deps: MirrorDeps) {
  const mirrors: Mirror[] = stores.map((store) => ({ store, queue: [], failures: 0, waiting: false }));
  let stopped = false;

  /** One publish or one move of `current`; undefined when the mirror has caught up. */
  const step = async (m: Mirror, epoch: number): Promise<Result<unknown> | undefined> => {
    const job = m.queue[0];
    if (job !== undefined) {
      const r = await m.store.publish({ ...job, epoch });
      if (r.ok && m.queue[0] === job) m.queue.shift();
      if (r.ok) deps.metrics.publishes.inc({ store: 'kv' });
      return r;
    }
    const target = m.desired;
    if (target === undefined || target === m.applied) return undefined;
    const r = await m.store.setCurrent(target, epoch);
    if (r.ok || r.error.code === 'not_found') m.applied = target; // not_found: the mirror never got that version
    return r;
  };
  const drain = async (m: Mirror): Promise<void> => {
    while (!stopped) {
      const epoch = deps.epoch();
      if (epoch === undefined) {
        [m.queue, m.desired, m.applied] = [[], undefined, undefined];
        return;
      }
      const r = await step(m, epoch);
      if (r === undefined) {
        m.failures = 0;
        return;
      }
      if (r.ok) continue;
      deps.metrics.publishFailures.inc({ store: 'kv', code: r.error.code });
      deps.log.warn({ store: 'kv', err: r.error.message, failures: ++m.failures }, 'mirror push failed; retrying');
      if (r.error.code === 'not_found') continue;
      m.waiting = true;
      deps.after(Math.min(30_000, 100 * 2 ** Math.min(m.failures, 8)), () => {
        m.waiting = false;
        kick(m);
      });
      return;
    }
  };
  const kick = (m: Mirror) => {
    if (m.running !== undefined || m.waiting || stopped) return;
    m.running = drain(m).finally(() => {
      m.running = undefined;
      if (m.queue.length > 0 || m.desired !== m.applied) kick(m); // work that arrived while draining ended
    });
  };
  return {
    push(job: MirrorJob) {
      for (const m of mirrors) {
        if (m.queue.push(job) > MIRROR_QUEUE) deps.log.warn({ store: 'kv', version: m.queue.shift()?.manifest.version }, 'mirror behind; oldest pending snapshot dropped');
        kick(m);
      }
    },
    follow(version: number) {
      for (const m of mirrors) {
        m.desired = version;
        kick(m);
      }
    },
    async stop() {
      stopped = true;
      await Promise.all(mirrors.map((m) => m.running));
    },
  };
}
