// Bench child processes: a TypeScript entry in bench/procs/ run through tsx in its own Node, talked
// to over IPC (one request, one reply), stopped by pid. With `cpuProfDir` (run.ts --cpu-prof) each
// child writes a `--cpu-prof` profile there when it is stopped.
import { fileURLToPath } from 'node:url';
import { startProcess, exitOf } from '../dev/process.ts';
import type { BenchContext } from './types.ts';

const RUN_TS = fileURLToPath(new URL('../bin/run-ts.mjs', import.meta.url));

export type ChildMessage = { type: string; [key: string]: unknown };

export type BenchChild = {
  pid: number;
  /** The child's `ready` message. */
  ready: ChildMessage;
  /** Sends a request and resolves with the child's reply to it; rejects after `timeoutMs`. */
  request<T = ChildMessage>(message: ChildMessage, timeoutMs?: number): Promise<T>;
  output(): string;
  /** True once the process has ended (crashed, or stopped). */
  exited(): boolean;
  stop(): Promise<void>;
};

/** Starts `bench/procs/<name>.ts` and waits for its `ready` message (or its early exit). */
export async function startChild(ctx: Pick<BenchContext, 'resources' | 'cpuProfDir'>, name: string, args: string[], options: { nodeFlags?: string[]; readyTimeoutMs?: number } = {}): Promise<BenchChild> {
  const entry = fileURLToPath(new URL(`./procs/${name}.ts`, import.meta.url));
  const { resources } = ctx;
  const prof = ctx.cpuProfDir;
  const flags = [...(options.nodeFlags ?? []), ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])];
  const proc = startProcess(process.execPath, [...flags, RUN_TS, entry, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const untrack = resources.add(`child ${name}`, () => proc.stop(), proc.pid);
  let nextId = 1;
  const waiting = new Map<number, (m: ChildMessage) => void>();
  let onReady: ((m: ChildMessage) => void) | undefined;
  proc.child.on('message', (m: ChildMessage) => {
    if (m.type === 'ready') onReady?.(m);
    const id = m.replyTo as number | undefined;
    if (id !== undefined) waiting.get(id)?.(m);
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const ready = await new Promise<ChildMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench child ${name} not ready within ${readyTimeoutMs} ms:\n${proc.output()}`)), readyTimeoutMs);
    onReady = (m) => {
      clearTimeout(timer);
      resolve(m);
    };
    void exitOf(proc).then((code) => {
      clearTimeout(timer);
      reject(new Error(`bench child ${name} exited (code ${code}) before it was ready:\n${proc.output()}`));
    });
  }).catch(async (e) => {
    await untrack();
    throw e;
  });
  return {
    pid: proc.pid,
    ready,
    output: proc.output,
    exited: () => proc.child.exitCode !== null || proc.child.signalCode !== null,
    request<T>(message: ChildMessage, timeoutMs = 120_000) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`bench child ${name}: no reply to ${message.type} within ${timeoutMs} ms:\n${proc.output().slice(-2000)}`));
        }, timeoutMs);
        waiting.set(id, (m) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (m.type === 'error') reject(new Error(`bench child ${name}: ${String(m.message)}`));
          else resolve(m as T);
        });
        proc.child.send({ ...message, id });
      });
    },
    stop: untrack,
  };
}
