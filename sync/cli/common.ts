// What every command shares: flags-over-env resolution, validated options, exit codes 0/1/2.
import { z } from 'zod';
import { describeIssues } from '../../shared/schema/parse.ts';

/** Exit 2: bad usage or bad input. Exit 1: the operation failed. */
export class UsageError extends Error {}
export class OperationError extends Error {}

export const CommonSchema = z.object({
  zk: z.string().min(1, { message: 'set --zk HOST:PORT[,HOST:PORT…] or ZKEDGE_ZK' }),
  redis: z
    .string()
    .regex(/^rediss?:\/\//, { message: 'expected a redis:// or rediss:// URL (--redis or ZKEDGE_REDIS_URL)' }),
  root: z.string().regex(/^\/[A-Za-z0-9._\-/]*$/, { message: 'expected an absolute ZooKeeper path such as /zkedge (--root or ZKEDGE_ROOT)' }),
  redisPrefix: z.string().max(64),
});
export type Common = z.infer<typeof CommonSchema>;

export type CommonFlags = { zk?: string; redis?: string; root?: string; redisPrefix?: string };

/** Flags override env (DESIGN.md "Commands"). Only the fields `need` lists must be present. */
export function resolveCommon(flags: CommonFlags, env: NodeJS.ProcessEnv, need: Array<keyof Common>): Common {
  const raw = {
    zk: flags.zk ?? env.ZKEDGE_ZK ?? '',
    redis: flags.redis ?? env.ZKEDGE_REDIS_URL ?? '',
    root: flags.root ?? env.ZKEDGE_ROOT ?? '/zkedge',
    redisPrefix: flags.redisPrefix ?? env.ZKEDGE_REDIS_PREFIX ?? 'zkedge:',
  };
  const parsed = CommonSchema.pick(Object.fromEntries(need.map((k) => [k, true])) as Record<keyof Common, true>).safeParse(raw);
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error.issues));
  return { ...raw, ...parsed.data } as Common;
}

/** Parses a flag value with a schema; a failure is a usage error naming the flag. */
export function parseFlag<S extends z.ZodType>(schema: S, value: unknown, flag: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`${flag}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

export const IntFlag = (min: number, max: number) =>
  z.coerce.number({ message: 'expected a number' }).int({ message: 'expected an integer' }).min(min, { message: `expected at least ${min}` }).max(max, { message: `expected at most ${max}` });
