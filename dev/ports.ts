// Free loopback ports for servers that tests, the demo and the bench start.
import { createServer } from 'node:net';

/** Asks the kernel for a free port on 127.0.0.1. A tiny race remains until the caller binds it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
