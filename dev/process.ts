// Child processes owned by a test, the demo or the bench: started detached-free, stopped by pid.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export type Owned = { pid: number; child: ChildProcess; output(): string; stop(): Promise<void> };

/** Spawns a process and keeps its last 64 KiB of output for error messages. */
export function startProcess(cmd: string, args: string[], options: SpawnOptions = {}): Owned {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}: ${out}`);
  return {
    pid: child.pid,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves when the process exits, with its exit code (null when killed by a signal). */
export function exitOf(p: Owned): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve(p.child.exitCode);
  return new Promise((resolve) => p.child.once('exit', (code) => resolve(code)));
}
