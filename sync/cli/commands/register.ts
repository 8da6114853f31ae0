// `zkedge register`: holds an ephemeral instance node while running; re-registers after a session
// expiry; removes the node on SIGTERM/SIGINT.
import type { Command } from 'commander';
import { z } from 'zod';
import { InstanceSchema, ZoneSchema } from '../../../shared/schema/instance.ts';
import { NameSchema } from '../../../shared/schema/names.ts';
import { parseValue } from '../../../shared/schema/parse.ts';
import { createLogger } from '../../../node/log.ts';
import { createTreePaths } from '../../zookeeper/tree-paths.ts';
import { createZkClient } from '../../zookeeper/zk-client.ts';
import { holdRegistration } from '../../zookeeper/registration.ts';
import { connectTimeoutMs } from '../zk-session.ts';
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
      await zk.ready(connectTimeoutMs(process.env)).catch((e: Error) => {
        throw new OperationError(e.message);
      });
      const registration = holdRegistration(zk, paths.instances(service), path, JSON.stringify(data), log);
      try {
        await registration.registered();
      } catch (e) {
        await zk.close();
        throw new OperationError((e as Error).message);
      }
      console.log(`registered ${path}`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
      });
      await registration.close();
      await zk.close();
    });
}
