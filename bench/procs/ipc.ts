// The child side of bench/child.ts: announce `ready`, answer requests by type, exit on SIGTERM
// (a normal exit, so `--cpu-prof` can write its profile).

type Handler = (message: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** Sends `ready` with `info`, then answers each request with its handler's result (or an error). */
export function serveParent(info: Record<string, unknown>, handlers: Record<string, Handler>, onStop: () => Promise<void> = async () => {}): void {
  const send = (m: Record<string, unknown>) => process.send?.(m);
  process.on('message', (m: Record<string, unknown>) => {
    const handler = handlers[String(m.type)];
    const replyTo = m.id;
    if (handler === undefined) return void send({ type: 'error', replyTo, message: `unknown request ${String(m.type)}` });
    Promise.resolve()
      .then(() => handler(m))
      .then((r) => send({ type: 'reply', ...r, replyTo }))
      .catch((e: Error) => send({ type: 'error', replyTo, message: e.stack ?? e.message }));
  });
  process.once('SIGTERM', () => {
    void onStop()
      .catch(() => {})
      .finally(() => process.exit(0));
  });
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM')); // the bench went away
  send({ type: 'ready', ...info });
}

/** The value of `--name value` in argv; throws when missing (bad startup config). */
export function arg(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i < 0 ? undefined : process.argv[i + 1];
  if (v === undefined) throw new Error(`missing --${name}`);
  return v;
}
