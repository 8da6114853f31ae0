// nginx (Debian's package) as the reference proxy: one worker, loopback, config and temp files in
// a temp dir, upstream keep-alive to the same backend as the Node proxies.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../dev/ports.ts';
import { startProcess } from '../dev/process.ts';
import { waitFor } from '../dev/wait.ts';
import type { Resources } from './resources.ts';

export type Nginx = { port: number; pid: number; stop(): Promise<void> };

export async function startNginx(resources: Resources, backendPort: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'zkedge-bench-nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
${process.getuid?.() === 0 ? 'user root root;' : ''}
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:${backendPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`,
  );
  const proc = startProcess('nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')]);
  const stop = resources.add(
    'nginx',
    async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    proc.pid,
  );
  try {
    await waitFor(`nginx on port ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 10_000, 50);
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}\n${proc.output()}`);
  }
  return { port, pid: proc.pid, stop };
}
