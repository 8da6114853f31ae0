// Operator writes: `zkedge weight`, `zkedge route set`, `zkedge config set`. Each validates first.
import type { Command } from 'commander';
import { z } from 'zod';
import { NameSchema } from '../../../shared/schema/names.ts';
import { WeightSchema } from '../../../shared/schema/instance.ts';
import { parseJsonText, parseValue } from '../../../shared/schema/parse.ts';
import { RouteSchema } from '../../../shared/schema/route.ts';
import { ServiceConfigSchema } from '../../../shared/schema/service-config.ts';
import { createTreePaths } from '../../zookeeper/tree-paths.ts';
import { OperationError, UsageError, parseFlag, resolveCommon, type CommonFlags } from '../common.ts';
import { updateNode } from '../write-node.ts';
import { withZk } from '../zk-session.ts';

/** `svc=95,svc2=5` → split entries; a usage error names the bad part. */
export function parseSplit(text: string): Array<{ service: string; weight: number }> {
  return text.split(',').map((part) => {
    const m = /^([^=]+)=(\d+)$/.exec(part.trim());
    if (m === null) throw new UsageError(`--split: expected SERVICE=WEIGHT[,SERVICE=WEIGHT…], got ${JSON.stringify(part)}`);
    return { service: m[1]!, weight: Number(m[2]) };
  });
}

export function registerOperatorCommands(program: Command): void {
  program
    .command('weight')
    .description("set weights[INSTANCE] in SERVICE's ServiceConfig (0 drains)")
    .argument('<service>')
    .argument('<instance>')
    .argument('<weight>', 'integer 0-10000')
    .action(async (service: string, instance: string, weightText: string, _o, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'root']);
      parseFlag(NameSchema, service, 'SERVICE');
      parseFlag(NameSchema, instance, 'INSTANCE');
      const weight = parseFlag(z.coerce.number().pipe(WeightSchema), weightText, 'WEIGHT');
      const path = createTreePaths(common.root).service(service);
      await withZk(common.zk, (zk) =>
        updateNode(zk, path, (current) => {
          let obj: Record<string, unknown> = {};
          if (current.trim() !== '') {
            try {
              obj = JSON.parse(current) as Record<string, unknown>;
            } catch {
              throw new OperationError(`the ServiceConfig at ${path} is not JSON: fix it first (zkCli.sh set ${path} '{}')`);
            }
            if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new OperationError(`the ServiceConfig at ${path} is not a JSON object: fix it first`);
          }
          const weights = typeof obj.weights === 'object' && obj.weights !== null ? (obj.weights as Record<string, unknown>) : {};
          const next = { ...obj, weights: { ...weights, [instance]: weight } };
          const check = parseValue(ServiceConfigSchema, next, path);
          if (!check.ok) throw new OperationError(`${check.error.message}: fix the ServiceConfig first`);
          return JSON.stringify(next);
        }),
      );
      console.log(`${service}/${instance} weight ${weight}`);
    });

  const route = program.command('route').description('manage routes');
  route
    .command('set')
    .description('write a Route')
    .argument('<route>')
    .requiredOption('--host <host>', 'host to match, without port, or "*"')
    .option('--path <prefix>', 'path prefix, matched on segment boundaries', '/')
    .option('--split <list>', 'SERVICE=WEIGHT[,SERVICE=WEIGHT…]')
    .option('--service <service>', 'one service (shorthand for a one-entry split)')
    .option('--sticky-key <key>', 'header:<name>, cookie:<name> or ip')
    .option('--strip-prefix', 'remove the path prefix before proxying')
    .action(async (name: string, o: { host: string; path: string; split?: string; service?: string; stickyKey?: string; stripPrefix?: boolean }, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'root']);
      parseFlag(NameSchema, name, 'ROUTE');
      if ((o.split === undefined) === (o.service === undefined)) throw new UsageError('give exactly one of --split SERVICE=WEIGHT,… or --service SERVICE');
      const doc = {
        host: o.host,
        pathPrefix: o.path,
        ...(o.split !== undefined ? { split: parseSplit(o.split) } : { service: o.service }),
        ...(o.stickyKey !== undefined ? { stickyKey: o.stickyKey } : {}),
        ...(o.stripPrefix ? { stripPrefix: true } : {}),
      };
      const check = parseValue(RouteSchema, doc, `route ${name}`);
      if (!check.ok) throw new UsageError(check.error.message);
      await withZk(common.zk, (zk) => updateNode(zk, createTreePaths(common.root).route(name), () => JSON.stringify(doc)));
      console.log(`route ${name} set: ${JSON.stringify(doc)}`);
    });

  const config = program.command('config').description('manage config values delivered as snapshot.config');
  config
    .command('set')
    .description('write a config value (any JSON)')
    .argument('<key>')
    .argument('<json>')
    .action(async (key: string, json: string, _o, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'root']);
      parseFlag(NameSchema, key, 'KEY');
      const value = parseJsonText(z.json(), json, 'JSON');
      if (!value.ok) throw new UsageError(`${value.error.message} (quote strings: '"hello"')`);
      await withZk(common.zk, (zk) => updateNode(zk, createTreePaths(common.root).configKey(key), () => JSON.stringify(value.value)));
      console.log(`config ${key} set`);
    });
}
