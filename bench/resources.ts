// Everything the bench starts (servers, child processes, clients), stopped in reverse order by pid
// or handle at the end of the run, also when a measurement fails or the run is interrupted.

export type Resources = {
  /** Registers a stop function; returns a function that stops it now and forgets it. */
  add(name: string, stop: () => Promise<void>, pid?: number): () => Promise<void>;
  /** Stops everything still registered, newest first; never throws. Returns one line per resource. */
  stopAll(): Promise<string[]>;
};

type Entry = { name: string; stop: () => Promise<void>; pid: number | undefined; done: boolean };

export function createResources(): Resources {
  const entries: Entry[] = [];
  const stopOne = async (e: Entry): Promise<string> => {
    if (e.done) return '';
    e.done = true;
    const what = e.pid === undefined ? e.name : `${e.name} (pid ${e.pid})`;
    try {
      await e.stop();
      return `stopped ${what}`;
    } catch (err) {
      return `could not stop ${what}: ${(err as Error).message}`;
    }
  };
  return {
    add(name, stop, pid) {
      const entry: Entry = { name, stop, pid, done: false };
      entries.push(entry);
      return async () => {
        await stopOne(entry);
        entries.splice(entries.indexOf(entry), 1);
      };
    },
    async stopAll() {
      const lines: string[] = [];
      for (const e of [...entries].reverse()) {
        const line = await stopOne(e);
        if (line !== '') lines.push(line);
      }
      entries.length = 0;
      return lines;
    },
  };
}
