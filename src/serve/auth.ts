import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { problem } from './http-error.ts';

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a request presents: `Authorization: Bearer <t>`, or `?access_token=` (SSE). */
export function presentedToken(c: Context): string | null {
  const header = c.req.header('authorization');
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return c.req.query('access_token') ?? null;
}

/**
 * Require `token` (compared in constant time). `token: null` means open access — except
 * when `closedWhenUnset`, for admin endpoints, which are refused until a token is configured.
 */
export function requireToken(
  token: string | null,
  what: string,
  envName: string,
  closedWhenUnset = false,
): MiddlewareHandler {
  return async (c, next) => {
    if (token === null) {
      if (!closedWhenUnset) return next();
      return problem(
        c,
        403,
        'SERVE_ADMIN_DISABLED',
        `${what} endpoints are disabled: set ${envName} on the server and send it as "Authorization: Bearer <token>"`,
      );
    }
    const given = presentedToken(c);
    if (given === null)
      return problem(
        c,
        401,
        'SERVE_TOKEN_MISSING',
        `${what} endpoints need a token: send "Authorization: Bearer <token>" (the server's ${envName})`,
      );
    if (!same(given, token))
      return problem(c, 403, 'SERVE_TOKEN_WRONG', `the token sent is not the server's ${envName}`);
    return next();
  };
}
