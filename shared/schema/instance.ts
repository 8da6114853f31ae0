// Instance JSON: what a backend writes under /services/<service>/instances/<id>.
import { z } from 'zod';

export const MAX_WEIGHT = 10_000;
export const DEFAULT_WEIGHT = 100;

export const WeightSchema = z
  .number({ message: 'expected an integer from 0 to 10000' })
  .int({ message: 'expected an integer from 0 to 10000' })
  .min(0, { message: 'expected an integer from 0 to 10000 (0 drains)' })
  .max(MAX_WEIGHT, { message: 'expected an integer from 0 to 10000' });

export const TargetUrlSchema = z.string({ message: 'expected an http(s) URL such as "http://10.0.0.7:8080"' }).superRefine((raw, ctx) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected an http(s) URL such as "http://10.0.0.7:8080", got ${JSON.stringify(raw)}` });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `expected scheme http or https, got ${JSON.stringify(url.protocol)}` });
  }
  if (url.search !== '' || raw.includes('?')) ctx.addIssue({ code: 'custom', message: 'remove the query string: a target URL has none' });
  if (url.hash !== '' || raw.includes('#')) ctx.addIssue({ code: 'custom', message: 'remove the fragment: a target URL has none' });
  if (url.username !== '' || url.password !== '') {
    ctx.addIssue({ code: 'custom', message: 'remove the credentials: a target URL carries no user or password' });
  }
});

export const ZoneSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected 1-64 characters of A-Z a-z 0-9 . _ -' });

export const MetaSchema = z.record(z.string(), z.string({ message: 'expected a string value' }));

export const InstanceSchema = z.object({
  url: TargetUrlSchema,
  weight: WeightSchema.default(DEFAULT_WEIGHT),
  zone: ZoneSchema.optional(),
  capacityRps: z.number().positive({ message: 'expected a positive number of requests per second' }).optional(),
  meta: MetaSchema.optional(),
});
export type Instance = z.infer<typeof InstanceSchema>;

export const INSTANCE_KEYS = ['url', 'weight', 'zone', 'capacityRps', 'meta'] as const;

/** Top-level keys of a JSON object that a schema does not know (reported as warnings, never fatal). */
export function unknownKeys(value: unknown, known: readonly string[]): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.keys(value).filter((k) => !known.includes(k));
}
