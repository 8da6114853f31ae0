// Open-loop load at a fixed rate (wrk2 is not available): every millisecond timer tick sends the
// requests that are due by then, without waiting for earlier answers (undici Pool, keep-alive).
// Latency of a request = its send → its last body byte. Warm-up requests are not counted.
// Also a closed-loop mode that ends gracefully, used to warm targets up.
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { serveParent } from './ipc.ts';

type Run = { url: string; rate: number; durationMs: number; warmupMs: number; connections: number };

async function run(o: Run) {
  const url = new URL(o.url);
  const pool = new Pool(url.origin, { connections: o.connections, keepAliveTimeout: 30_000 });
  const total = Math.floor(((o.durationMs + o.warmupMs) * o.rate) / 1000);
  const warm = Math.floor((o.warmupMs * o.rate) / 1000);
  const latencies = new Float64Array(total).fill(Number.NaN);
  let errors = 0;
  let sent = 0;
  let done = 0;
  let maxLagMs = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const fire = (i: number) => {
      const t = performance.now();
      pool
        .request({ path: url.pathname, method: 'GET' })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 200) errors++;
          latencies[i] = performance.now() - t;
        })
        .catch(() => void errors++)
        .finally(() => {
          if (++done === total) resolve();
        });
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) * o.rate) / 1000));
      if (due > sent) maxLagMs = Math.max(maxLagMs, now - (start + (sent * 1000) / o.rate));
      while (sent < due) fire(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = performance.now() - start;
  await pool.close();
  const counted = Array.from(latencies.subarray(warm)).filter((x) => !Number.isNaN(x));
  return { latencies: counted, errors, achievedRate: (total * 1000) / elapsed, maxSendLagMs: maxLagMs };
}

/** Closed loop for `durationMs` over `connections` connections; ends only after every answer (a warm-up that closes no connection mid-response). */
async function closed(o: { url: string; connections: number; durationMs: number }) {
  const url = new URL(o.url);
  const pool = new Pool(url.origin, { connections: o.connections, keepAliveTimeout: 30_000 });
  const deadline = performance.now() + o.durationMs;
  let requests = 0;
  let errors = 0;
  const lane = async () => {
    while (performance.now() < deadline) {
      try {
        const res = await pool.request({ path: url.pathname, method: 'GET' });
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      requests++;
    }
  };
  await Promise.all(Array.from({ length: o.connections }, lane));
  await pool.close();
  return { requests, errors };
}

serveParent({}, { run: (m) => run(m as unknown as Run), closed: (m) => closed(m as unknown as { url: string; connections: number; durationMs: number }) });
