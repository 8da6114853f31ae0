// Bounded waiting on a condition: every wait has a deadline that fails with a message.

/**
 * Resolves with the first truthy value of `probe`, polling every `intervalMs`; rejects after
 * `timeoutMs` with `what` in the message. Probing is how we await external state (a server's
 * port, a store's key) that offers no event to subscribe to.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Resolves with the first `name` event whose payload satisfies `match`; rejects after `timeoutMs`. */
export function nextEvent<T>(emitter: import('node:events').EventEmitter, name: string, match: (v: T) => boolean = () => true, timeoutMs = 10_000, what = `"${name}"`): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, on);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const on = (v: T) => {
      if (!match(v)) return;
      clearTimeout(timer);
      emitter.off(name, on);
      resolve(v);
    };
    emitter.on(name, on);
  });
}
