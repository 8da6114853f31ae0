// How busy the machine is apart from the bench: CPU use over a short idle window, from /proc/stat.
// Other processes on a 2-core machine move every number here, so each section records it.
import { readFileSync } from 'node:fs';
import { sleep } from './stats.ts';

const snapshot = (): { busy: number; total: number } | undefined => {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0); // idle + iowait
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined; // not Linux
  }
};

/** Share of all cores busy over `ms` (0–1), while the bench itself is idle; undefined off Linux. */
export async function backgroundCpu(ms = 1_000): Promise<number | undefined> {
  const a = snapshot();
  await sleep(ms);
  const b = snapshot();
  if (a === undefined || b === undefined || b.total === a.total) return undefined;
  return (b.busy - a.busy) / (b.total - a.total);
}

/** Waits (at most `maxWaitMs`) for other processes to use less than `threshold` of the machine. */
export async function waitForQuiet(threshold: number, maxWaitMs: number, say: (line: string) => void): Promise<number | undefined> {
  const deadline = Date.now() + maxWaitMs;
  let busy = await backgroundCpu();
  if (busy !== undefined && busy > threshold) say(`  the machine is busy (${Math.round(busy * 100)}% CPU used by other processes): waiting up to ${maxWaitMs / 1000} s for it to calm down`);
  while (busy !== undefined && busy > threshold && Date.now() < deadline) busy = await backgroundCpu(2_000);
  return busy;
}
