import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../../sync/build/coalescer.ts';

describe('leading-edge coalescing', () => {
  it('runs the first trigger after a quiet period at once, coalesces a burst, and always runs after the last', async () => {
    let t = 0;
    const runs: number[] = [];
    const c = createCoalescer(async () => {
      runs.push(t);
      return true;
    }, 50, () => t);
    c.trigger();
    await c.idle();
    expect(runs).toEqual([0]); // leading edge: no wait
    t = 10;
    c.trigger(); // inside the interval: deferred
    c.trigger();
    c.trigger();
    await c.idle();
    expect(runs).toHaveLength(2); // the burst became one run, after the interval
    c.stop();
  });

  it('does not let a run that published nothing delay the next one', async () => {
    let t = 0;
    const runs: number[] = [];
    let publish = false;
    const c = createCoalescer(async () => {
      runs.push(t);
      return publish;
    }, 50, () => t);
    c.trigger();
    await c.idle();
    t = 1;
    publish = true;
    c.trigger();
    await c.idle();
    expect(runs).toEqual([0, 1]); // the second ran at once: the first did not count
    c.stop();
  });
});
