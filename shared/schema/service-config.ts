// ServiceConfig JSON: the operator-owned data of /services/<service>.
import { z } from 'zod';
import { NameSchema } from './names.ts';
import { WeightSchema } from './instance.ts';
import { StickyKeySchema } from './sticky-key.ts';
import { parseTargetPattern } from '../net/allowed-targets.ts';

export const LB_ALGORITHMS = ['weighted_random', 'round_robin', 'sticky', 'least_request'] as const;

export const AllowedTargetSchema = z.string().superRefine((raw, ctx) => {
  if (parseTargetPattern(raw) === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a CIDR ("10.0.0.0/8", "fd00::/8"), an address or a host name ("api.internal", "*.svc.internal"), got ${JSON.stringify(raw)}` });
  }
});

export const ServiceConfigSchema = z
  .object({
    lb: z.enum(LB_ALGORITHMS, { message: `expected one of ${LB_ALGORITHMS.join(', ')}` }).default('weighted_random'),
    weights: z.record(NameSchema, WeightSchema).default({}),
    stickyKey: StickyKeySchema.optional(),
    timeoutMs: z.number().int().min(1).max(600_000, { message: 'expected milliseconds from 1 to 600000' }).default(10_000),
    retries: z.number().int().min(0).max(10, { message: 'expected an integer from 0 to 10' }).default(1),
    allowedTargets: z.array(AllowedTargetSchema).optional(),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.lb === 'sticky' && cfg.stickyKey === undefined) {
      ctx.addIssue({ code: 'custom', path: ['stickyKey'], message: 'lb "sticky" needs a stickyKey such as "header:x-user-id"' });
    }
  });
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;

export const SERVICE_CONFIG_KEYS = ['lb', 'weights', 'stickyKey', 'timeoutMs', 'retries', 'allowedTargets'] as const;
