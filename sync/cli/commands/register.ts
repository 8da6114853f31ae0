// `zkedge register`: holds an ephemeral instance node while running; re-registers after a session
// expiry; removes the node on SIGTERM/SIGINT.
import type { Command } from 'commander';
import { z } from 'zod';
import { InstanceSchema, ZoneSchema } from '../../../shared/schema/instance.ts';
import { NameSchema } from '../../../shared/schema/names.ts';
import { parseValue } from '../../../shared/schema/parse.ts';
import { createLogger } from '../../../node/log.ts';
import { createTreePaths } from '../../zookeeper/tree-paths.ts';
import { ZK, ZkOpError, createZkClient } from '../../zookeeper/zk-client.ts';
import { IntFlag, OperationError, UsageError, parseFlag, resolveCommon, type CommonFlags } from '../common.ts';

export function registerRegisterCommand(program: Command): void {
  program
    .command('register')
    .description('register an instance (ephemeral) until stopped')
    .argument('<service>')
    .argument('<id>')
    .requiredOption('--url <url>', 'http(s) URL of the instance')
    .option('--weight <n>', 'integer 0-10000', '100')
    .option('--zone <zone>')
    .option('--capacity-rps <n>', 'requests/s the instance can carry')
    .action(async (service: string, id: string, o: { url: string; weight: string; zone?: string; capacityRps?: string }, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'root']);
      parseFlag(NameSchema, service, 'SERVICE');
      parseFlag(NameSchema, id, 'ID');
      const data = {
        url: o.url,
        weight: parseFlag(IntFlag(0, 10_000), o.weight, '--weight'),
        ...(o.zone !== undefined ? { zone: parseFlag(ZoneSchema, o.zone, '--zone') } : {}),
        ...(o.capacityRps !== undefined ? { capacityRps: parseFlag(z.coerce.number().positive(), o.capacityRps, '--capacity-rps') } : {}),
      };
      const check = parseValue(InstanceSchema, data, 'instance');
      if (!check.ok) throw new UsageError(check.error.message);
      const log = createLogger('register');
      const paths = createTreePaths(common.root);
      const path = paths.instance(service, id);
      const zk = createZkClient({ connect: common.zk, sessionTimeoutMs: 10_000 });
      const register = async () => {
        await zk.mkdirp(paths.instances(service));
        try {
          await zk.create(path, JSON.stringify(data), ZK.ZOO_EPHEMERAL);
        } catch (e) {
          if (!(e instanceof ZkOpError && e.rc === ZK.ZNODEEXISTS)) throw e;
          // A node left by our own expired session disappears by itself; another owner is a conflict.
          throw new OperationError(`${path} already exists (another process registered ${service}/${id}?)`);
        }
        log.info({ path, session: zk.sessionId() }, 'registered');
      };
      zk.events.on('state', (s) => {
        log.info({ state: s }, 'zookeeper connection state');
        if (s === 'connected' && registered) void register().catch((e: Error) => log.error({ err: e.message }, 're-register failed'));
      });
      let registered = false;
      await zk.ready(30_000).catch((e: Error) => {
        throw new OperationError(e.message);
      });
      await register();
      registered = true;
      console.log(`registered ${path}`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await zk.remove(path).catch(() => {});
      await zk.close();
    });
}
