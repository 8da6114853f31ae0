// `zkedge guard status|release`: the mass-removal guard, through /control/ (the leader acts).
import type { Command } from 'commander';
import { createTreePaths } from '../../zookeeper/tree-paths.ts';
import { resolveCommon, type CommonFlags } from '../common.ts';
import { updateNode } from '../write-node.ts';
import { withZk } from '../zk-session.ts';

type GuardStatus = { epoch: number | null; held: Array<{ service: string; held: string[]; publishedCount: number; remainingCount: number; since: string; releaseAt: string }> };

export function registerGuardCommands(program: Command): void {
  const guard = program.command('guard').description('the mass-removal guard');
  guard
    .command('status')
    .description('removals the leader holds back')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'root']);
      const node = await withZk(common.zk, (zk) => zk.getData(createTreePaths(common.root).guard, false));
      const status: GuardStatus = node === null ? { epoch: null, held: [] } : (JSON.parse(node.data) as GuardStatus);
      if (o.json) return console.log(JSON.stringify(status, null, 2));
      if (status.held.length === 0) return console.log('no removal held');
      for (const h of status.held) {
        console.log(`${h.service}: holding ${h.held.length} of ${h.publishedCount} instances (${h.held.join(', ')}) until ${h.releaseAt}; ${h.remainingCount} would remain`);
      }
    });
  guard
    .command('release')
    .description('let every held removal through now')
    .action(async (_o, cmd: Command) => {
      const common = resolveCommon(cmd.optsWithGlobals<CommonFlags>(), process.env, ['zk', 'root']);
      const paths = createTreePaths(common.root);
      await withZk(common.zk, async (zk) => {
        await zk.mkdirp(paths.control);
        await updateNode(zk, paths.guardRelease, () => new Date().toISOString());
      });
      console.log('release requested: the leader publishes the held removals');
    });
}
