// Long-running processes: `zkedge sync` (the daemon) and `zkedge edge` (the Node edge).
import type { Command } from 'commander';
import { z } from 'zod';
import { createLogger, type LogLevel } from '../../../node/log.ts';
import { startAdminServer } from '../../../node/admin-server.ts';
import { startNodeEdge } from '../../../edge/node.ts';
import { createSyncDaemon } from '../../daemon.ts';
import { createSyncMetrics } from '../../metrics.ts';
import { createKvPushStore } from '../../publish/kv-push-store.ts';
import { createRedisStore } from '../../publish/redis-store.ts';
import type { SnapshotStore } from '../../publish/snapshot-store.ts';
import { createZkClient } from '../../zookeeper/zk-client.ts';
import { IntFlag, UsageError, parseFlag, resolveCommon, type CommonFlags } from '../common.ts';

const waitForSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });

/** `--kv-push URL` and its token, checked before anything starts: exit 2 naming what is missing. */
function kvPushTarget(url: string | undefined, env: NodeJS.ProcessEnv): { url: string; token: string } | undefined {
  if (url === undefined) return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.username !== '' || parsed.password !== '') {
    throw new UsageError(`--kv-push: expected the Worker's http(s) URL without credentials, such as https://edge.example.com, got ${JSON.stringify(url)}`);
  }
  const token = env.ZKEDGE_PUBLISH_TOKEN ?? '';
  if (token === '') throw new UsageError('--kv-push needs ZKEDGE_PUBLISH_TOKEN in the environment (the same secret as the Worker\'s ZKEDGE_PUBLISH_TOKEN)');
  return { url: parsed.origin, token };
}

const logLevel = (): LogLevel => (['debug', 'info', 'warn', 'error', 'silent'].includes(process.env.ZKEDGE_LOG_LEVEL ?? '') ? (process.env.ZKEDGE_LOG_LEVEL as LogLevel) : 'info');

export function registerServeCommands(program: Command): void {
  program
    .command('sync')
    .description('run the sync daemon: watch ZooKeeper, publish snapshots to Redis (and Workers KV with --kv-push)')
    .option('--admin-port <n>', 'port for /healthz and /metrics (0 = any free port)')
    .option('--admin-host <host>', 'address for the admin port', '127.0.0.1')
    .option('--min-interval-ms <n>', 'at most one publish per this many ms inside a burst', '50')
    .option('--keep <n>', 'snapshot versions kept in the store', '100')
    .option('--hold-down-ms <n>', 'how long a mass removal is held back', '30000')
    .option('--kv-push <url>', "also push every snapshot to Workers KV through this Worker's publish endpoint (needs ZKEDGE_PUBLISH_TOKEN)")
    .option('--expected-rps <n>', 'check each published snapshot against capacityRps at this load (shared equally by the routes)')
    .action(async (o: { adminPort?: string; adminHost: string; minIntervalMs: string; keep: string; holdDownMs: string; kvPush?: string; expectedRps?: string }, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'redis', 'root', 'redisPrefix']);
      const kvPush = kvPushTarget(o.kvPush, process.env);
      const minIntervalMs = parseFlag(IntFlag(0, 60_000), o.minIntervalMs, '--min-interval-ms');
      const keepVersions = parseFlag(IntFlag(2, 100_000), o.keep, '--keep');
      const adminPort = o.adminPort === undefined ? undefined : parseFlag(IntFlag(0, 65_535), o.adminPort, '--admin-port');
      const log = createLogger('sync', logLevel());
      const metrics = createSyncMetrics();
      const zk = createZkClient({ connect: common.zk, sessionTimeoutMs: 10_000 });
      const store = createRedisStore({ url: common.redis, prefix: common.redisPrefix, keepVersions });
      const holdDownMs = parseFlag(IntFlag(0, 86_400_000), o.holdDownMs, '--hold-down-ms');
      const mirrors: SnapshotStore[] = kvPush === undefined ? [] : [createKvPushStore(kvPush)];
      if (kvPush !== undefined && kvPush.url.startsWith('http:') && !/^http:\/\/(127\.|\[::1\]|localhost)/.test(kvPush.url)) {
        log.warn({ kvPush: kvPush.url }, '--kv-push over plain http sends ZKEDGE_PUBLISH_TOKEN unencrypted; use https');
      }
      const expectedRps = o.expectedRps === undefined ? undefined : parseFlag(z.coerce.number().finite().positive({ message: 'expected requests per second above 0' }), o.expectedRps, '--expected-rps');
      const daemon = createSyncDaemon({ zk, store, mirrors, root: common.root, log, metrics, minIntervalMs, holdDownMs, ...(expectedRps !== undefined ? { expectedRps } : {}) });
      // ZooKeeper may be down at start: the client keeps retrying; nothing publishes until a full read.
      await daemon.start();
      const admin =
        adminPort === undefined
          ? undefined
          : await startAdminServer({
              port: adminPort,
              host: o.adminHost,
              registry: metrics.registry,
              health: () => {
                const s = daemon.status();
                return { ok: s.zookeeper === 'connected' || s.zookeeper === 'reconnected', body: s };
              },
            });
      if (admin) log.info({ port: admin.port }, 'admin listening');
      log.info({ zk: common.zk, root: common.root, redisPrefix: common.redisPrefix, kvPush: kvPush?.url ?? null }, 'sync daemon started');
      await waitForSignal();
      await daemon.stop(); // gives up leadership at once: another daemon takes over without a session timeout
      await admin?.close();
      await zk.close();
      await store.close();
      await Promise.all(mirrors.map((m) => m.close()));
    });

  program
    .command('edge')
    .description('run the Node edge: route requests by the current snapshot in Redis')
    .option('--port <n>', 'listen port (ZKEDGE_PORT, default 8787)')
    .option('--host <host>', 'listen address (ZKEDGE_HOST; use 0.0.0.0 to serve other machines)', undefined)
    .option('--zone <zone>', "this edge's zone (ZKEDGE_ZONE)")
    .option('--poll-ms <n>', 'poll `current` this often as a backstop to push', '2000')
    .option('--stale-after-ms <n>', 'health says "stale" when the snapshot is older than this', '300000')
    .option('--trusted-hops <n>', 'proxies in front of the edge whose x-forwarded-for entries are trusted', '0')
    .option('--admin-port <n>', 'port for /healthz and Prometheus /metrics (127.0.0.1)')
    .action(async (o: { port?: string; host?: string; zone?: string; pollMs: string; staleAfterMs: string; trustedHops: string; adminPort?: string }, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['redis', 'redisPrefix']);
      const port = parseFlag(IntFlag(0, 65_535), o.port ?? process.env.ZKEDGE_PORT ?? '8787', '--port');
      const log = createLogger('edge', logLevel());
      const adminPort = o.adminPort === undefined ? undefined : parseFlag(IntFlag(0, 65_535), o.adminPort, '--admin-port');
      const edge = await startNodeEdge({
        ...(adminPort !== undefined ? { adminPort } : {}),
        redisUrl: common.redis,
        redisPrefix: common.redisPrefix,
        port,
        host: o.host ?? process.env.ZKEDGE_HOST ?? '127.0.0.1',
        ...((o.zone ?? process.env.ZKEDGE_ZONE) !== undefined ? { zone: o.zone ?? process.env.ZKEDGE_ZONE } : {}),
        pollMs: parseFlag(IntFlag(50, 3_600_000), o.pollMs, '--poll-ms'),
        staleAfterMs: parseFlag(IntFlag(1_000, 86_400_000), o.staleAfterMs, '--stale-after-ms'),
        ...(process.env.ZKEDGE_ADMIN_TOKEN ? { adminToken: process.env.ZKEDGE_ADMIN_TOKEN } : {}),
        trustedHops: parseFlag(IntFlag(0, 16), o.trustedHops, '--trusted-hops'),
        log,
      });
      console.log(`edge listening on ${edge.port}`);
      await waitForSignal();
      await edge.close();
    });
}
