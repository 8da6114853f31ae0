// Route JSON: /routes/<route>; normalised to one shape (split always a list, host lower-case).
import { z } from 'zod';
import { NameSchema } from './names.ts';
import { StickyKeySchema } from './sticky-key.ts';

const HOST_PATTERN = /^(\*|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*)$/;

export const SplitEntrySchema = z.object({
  service: NameSchema,
  weight: z.number().int({ message: 'expected a non-negative integer' }).min(0, { message: 'expected a non-negative integer' }).max(1_000_000),
});
export type SplitEntry = z.infer<typeof SplitEntrySchema>;

const RouteInputSchema = z
  .object({
    host: z
      .string()
      .transform((h) => h.toLowerCase())
      .pipe(z.string().regex(HOST_PATTERN, { message: 'expected a host name without port, or "*"' })),
    pathPrefix: z.string().regex(/^\/[^?#\s]*$/, { message: 'expected a path starting with "/" and no query' }).default('/'),
    service: NameSchema.optional(),
    split: z.array(SplitEntrySchema).min(1, { message: 'expected at least one entry' }).optional(),
    stickyKey: StickyKeySchema.optional(),
    stripPrefix: z.boolean().default(false),
  })
  .superRefine((r, ctx) => {
    if (r.service === undefined && r.split === undefined) {
      ctx.addIssue({ code: 'custom', path: ['split'], message: 'a route needs "service" or "split", e.g. {"service":"api"}' });
    }
    if (r.service !== undefined && r.split !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['service'], message: 'give "service" or "split", not both' });
    }
    if (r.split !== undefined) {
      const names = r.split.map((s) => s.service);
      const dup = names.find((n, i) => names.indexOf(n) !== i);
      if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['split'], message: `service ${JSON.stringify(dup)} appears twice` });
      if (r.split.every((s) => s.weight === 0)) {
        ctx.addIssue({ code: 'custom', path: ['split'], message: 'split weights sum to 0: give at least one side a positive weight' });
      }
    }
  });

/** A route as operators write it, normalised: `service` shorthand becomes a one-entry split. */
export const RouteSchema = RouteInputSchema.transform((r) => ({
  host: r.host,
  pathPrefix: normalisePrefix(r.pathPrefix),
  split: r.split ?? [{ service: r.service as string, weight: 1 }],
  ...(r.stickyKey !== undefined ? { stickyKey: r.stickyKey } : {}),
  stripPrefix: r.stripPrefix,
}));
export type Route = z.infer<typeof RouteSchema>;

export const ROUTE_KEYS = ['host', 'pathPrefix', 'service', 'split', 'stickyKey', 'stripPrefix'] as const;

/** `/v1/` and `/v1` are the same prefix: matching is on segment boundaries. */
function normalisePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.replace(/\/+$/, '') || '/' : prefix;
}
