// The `zkedge` CLI: one program, flags over env, exit codes 0 ok / 1 failed / 2 bad usage or input.
import { Command, CommanderError } from 'commander';
import { OperationError, UsageError } from './common.ts';
import { registerOperatorCommands } from './commands/operator.ts';
import { registerRegisterCommand } from './commands/register.ts';
import { registerServeCommands } from './commands/serve.ts';
import { registerHistoryCommands } from './commands/history.ts';
import { registerGuardCommands } from './commands/guard.ts';
import { registerPlanCommand } from './commands/plan.ts';

const program = new Command('zkedge')
  .description('zkedge: ZooKeeper → versioned snapshots → Redis / Workers KV → Hono edge')
  .option('--zk <hosts>', 'ZooKeeper connect string (ZKEDGE_ZK)')
  .option('--redis <url>', 'Redis URL (ZKEDGE_REDIS_URL)')
  .option('--root <path>', 'ZooKeeper root (ZKEDGE_ROOT, default /zkedge)')
  .option('--redis-prefix <prefix>', 'Redis key prefix (ZKEDGE_REDIS_PREFIX, default zkedge:)')
  .showHelpAfterError()
  .exitOverride();

registerServeCommands(program);
registerRegisterCommand(program);
registerOperatorCommands(program);
registerHistoryCommands(program);
registerGuardCommands(program);
registerPlanCommand(program);

try {
  await program.parseAsync(process.argv);
  process.exit(process.exitCode ?? 0);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exit(e.exitCode === 0 ? 0 : 2); // help and version exit 0; usage errors 2
  }
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`zkedge: ${message}\n`);
  process.exit(e instanceof UsageError ? 2 : e instanceof OperationError ? 1 : 1);
}
