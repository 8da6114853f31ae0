// The published formats: the manifest `snapshot:<v>` and the service document `service:<h>`.
import { z } from 'zod';
import { NameSchema, isValidName } from './names.ts';
import { MetaSchema, TargetUrlSchema, WeightSchema, ZoneSchema } from './instance.ts';
import { ServiceConfigSchema } from './service-config.ts';
import { SplitEntrySchema } from './route.ts';
import { StickyKeySchema } from './sticky-key.ts';

export const SNAPSHOT_SCHEMA = 1;
export const BUCKET_COUNT = 10_000;

const HashSchema = z.string().regex(/^[0-9a-f]{64}$/, { message: 'expected a SHA-256 hex digest' });

/** Bucket table: side (service name) → list of half-open [start, end) bucket ranges. */
export const BucketTableSchema = z.record(NameSchema, z.array(z.tuple([z.number().int().min(0), z.number().int().max(BUCKET_COUNT)])));
export type BucketTable = z.infer<typeof BucketTableSchema>;

const HASH = /^[0-9a-f]{64}$/;

/**
 * Service name → document hash. Checked by one loop rather than a schema per entry: a manifest
 * lists every service (1,000s), and edges parse one on every change.
 */
const ServiceHashesSchema = z.record(z.string(), z.string()).superRefine((services, ctx) => {
  for (const [name, hash] of Object.entries(services)) {
    if (!isValidName(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'expected a service name of 1-128 characters of A-Z a-z 0-9 . _ -' });
    else if (!HASH.test(hash)) ctx.addIssue({ code: 'custom', path: [name], message: 'expected a SHA-256 hex digest' });
  }
});

export const ManifestRouteSchema = z.object({
  host: z.string(),
  pathPrefix: z.string().startsWith('/'),
  split: z.array(SplitEntrySchema).min(1),
  stickyKey: StickyKeySchema.optional(),
  stripPrefix: z.boolean(),
  buckets: BucketTableSchema.optional(),
});
export type ManifestRoute = z.infer<typeof ManifestRouteSchema>;

export const ManifestSchema = z.object({
  schema: z.literal(SNAPSHOT_SCHEMA),
  version: z.number().int().positive(),
  hash: HashSchema,
  createdAt: z.string(),
  source: z.object({ zxid: z.string() }),
  services: ServiceHashesSchema,
  routes: z.record(NameSchema, ManifestRouteSchema),
  config: z.record(NameSchema, z.unknown()),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const DocumentInstanceSchema = z.object({
  url: TargetUrlSchema,
  weight: WeightSchema,
  zone: ZoneSchema.optional(),
  capacityRps: z.number().positive().optional(),
  meta: MetaSchema.optional(),
});
export type DocumentInstance = z.infer<typeof DocumentInstanceSchema>;

export const ServiceDocumentSchema = z.object({
  name: NameSchema,
  config: ServiceConfigSchema,
  instances: z.record(NameSchema, DocumentInstanceSchema),
});
export type ServiceDocument = z.infer<typeof ServiceDocumentSchema>;

/** The part of a manifest the root hash covers (DESIGN.md: not version, createdAt or source). */
export function rootHashInput(m: Pick<Manifest, 'schema' | 'services' | 'routes' | 'config'>): unknown {
  // keys in canonical order, so the canonical form is the engine's own JSON.stringify (fast path)
  return { config: m.config, routes: m.routes, schema: m.schema, services: m.services };
}
