// Leading-edge coalescing: the first trigger after a quiet period runs at once; triggers inside a
// burst collapse into at most one run per interval; the last trigger always gets a run after it.

export type Coalescer = { trigger(): void; /** Resolves when no run is pending or running. */ idle(): Promise<void>; stop(): void };

/**
 * `run` resolves true when it published: only those runs count toward the interval, so a run that
 * found nothing to do (an incomplete tree, unchanged content) never delays the next change.
 */
export function createCoalescer(run: () => Promise<boolean | void>, minIntervalMs: number, now: () => number = Date.now): Coalescer {
  let running = false;
  let dirty = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastStart = -Infinity;
  let stopped = false;
  let idleWaiters: Array<() => void> = [];

  const settleIdle = () => {
    if (running || dirty || timer !== undefined) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  const start = () => {
    timer = undefined;
    if (stopped || running) return;
    dirty = false;
    running = true;
    const startedAt = now();
    void run()
      .then((published) => {
        if (published === true) lastStart = startedAt;
      })
      .catch(() => {}) // the runner reports its own failures
      .finally(() => {
        running = false;
        if (dirty) schedule();
        settleIdle();
      });
  };

  const schedule = () => {
    if (stopped || running || timer !== undefined) return;
    const wait = lastStart + minIntervalMs - now();
    if (wait <= 0) start();
    else timer = setTimeout(start, wait);
  };

  return {
    trigger() {
      dirty = true;
      schedule();
    },
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        settleIdle();
      });
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      dirty = false;
      settleIdle();
    },
  };
}
