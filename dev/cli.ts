// Running the real `zkedge` CLI as child processes (tests, demo): one-shot commands and daemons.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startProcess, type Owned } from './process.ts';

export const ZKEDGE_BIN = fileURLToPath(new URL('../bin/zkedge.mjs', import.meta.url));

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs one command to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ZKEDGE_BIN, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running command (sync, edge, register); stop it with `.stop()` (SIGTERM by pid). */
export function startCli(args: string[], env: NodeJS.ProcessEnv): Owned {
  return startProcess(process.execPath, [ZKEDGE_BIN, ...args], { env: { ...process.env, ...env } });
}
