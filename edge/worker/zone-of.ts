// The Worker's zone for a request, from `request.cf` through a configurable map
// (ZKEDGE_ZONE_MAP, e.g. {"colo:FRA": "eu-west", "country:US": "us-east", "continent:EU": "eu-west"}),
// most specific first (colo, then country, then continent), else ZKEDGE_ZONE.
import { z } from 'zod';
import { own } from '../../shared/own.ts';

export const ZoneMapSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON such as {"colo:FRA":"eu-west","continent:EU":"eu-west"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(
      z.string().regex(/^(colo|country|continent):[A-Za-z0-9]{1,8}$/, { message: 'keys look like "colo:FRA", "country:US" or "continent:EU"' }),
      z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: 'expected a zone name' }),
    ),
  );

type Cf = { colo?: unknown; country?: unknown; continent?: unknown } | undefined;

export function createZoneResolver(map: Record<string, string>, fallback: string | undefined): (cf: Cf) => string | undefined {
  return (cf) => {
    for (const key of ['colo', 'country', 'continent'] as const) {
      const value = cf?.[key];
      if (typeof value === 'string') {
        const zone = own(map, `${key}:${value}`);
        if (zone !== undefined) return zone;
      }
    }
    return fallback;
  };
}
