// Closed-loop peak load with wrk (fixed connections, one thread), parsed from its --latency output.
import { exitOf, startProcess } from '../dev/process.ts';
import type { Resources } from './resources.ts';

export type WrkResult = { rps: number; p50Ms: number; p99Ms: number; maxMs: number; requests: number; errors: number };

const toMs = (text: string): number => {
  const m = /^([0-9.]+)(us|ms|s|m)$/.exec(text.trim());
  if (m === null) throw new Error(`wrk: cannot read the duration ${JSON.stringify(text)}`);
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(m[1]) * scale;
};

/** Parses wrk's report; throws with the raw output when a field is missing. */
export function parseWrk(out: string): WrkResult {
  const find = (re: RegExp) => {
    const m = re.exec(out);
    if (m?.[1] === undefined) throw new Error(`wrk: unexpected output (no ${re}):\n${out}`);
    return m[1];
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (socket ? socket.slice(1, 5).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return {
    rps: Number(find(/Requests\/sec:\s+([0-9.]+)/)),
    p50Ms: toMs(find(/^\s+50%\s+(\S+)/m)),
    p99Ms: toMs(find(/^\s+99%\s+(\S+)/m)),
    maxMs: toMs(find(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m)),
    requests: Number(find(/(\d+) requests in/)),
    errors,
  };
}

/** Runs `wrk -t1 -cN -dS --latency url` to completion. */
export async function runWrk(resources: Resources, url: string, o: { connections: number; seconds: number }): Promise<WrkResult> {
  const proc = startProcess('wrk', ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '--timeout', '5s', url]);
  const untrack = resources.add('wrk', () => proc.stop(), proc.pid);
  const code = await exitOf(proc);
  await untrack();
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${proc.output()}`);
  return parseWrk(proc.output());
}
