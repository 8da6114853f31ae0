// Sticky key specs: where a request's identity comes from (`header:<name>`, `cookie:<name>`, `ip`).
import { z } from 'zod';

export const StickyKeySchema = z
  .string()
  .regex(/^(ip|header:[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}|cookie:[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128})$/, {
    message: 'expected "header:<name>", "cookie:<name>" or "ip"',
  });
export type StickyKey = z.infer<typeof StickyKeySchema>;
