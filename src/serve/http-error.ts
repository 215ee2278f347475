import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

/**
 * A JSON error response: `{ error: { code, message, ...details } }`. Messages name the problem
 * (which parameter, which view) so a client can fix its request without reading logs.
 */
export function problem(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): Response {
  return c.json({ error: { code, message, ...details } }, status);
}

/** One line per zod issue: `limit: Too big: expected number to be <=1000`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const where = i.path.length > 0 ? i.path.join('.') : 'query';
      if (i.code === 'unrecognized_keys') return `unknown parameter(s): ${i.keys.join(', ')}`;
      return `${where}: ${i.message}`;
    })
    .join('; ');
}
