import { isUnbundledError } from '../../core/index.ts';
import { httpStatusOf } from './errors.ts';

/**
 * An RFC 9457 problem+json response for an error of this layer (400 missing key, 409 in
 * flight with `Retry-After: 1`, 422 key reused).
 */
export function problemResponse(err: unknown): Response {
  const status = httpStatusOf(err);
  const code = isUnbundledError(err) ? err.code : 'INTERNAL';
  const detail = err instanceof Error ? err.message : String(err);
  const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
  if (status === 409) headers['retry-after'] = '1';
  const body = { type: `urn:unbundled:${code.toLowerCase()}`, title: code, status, detail };
  return new Response(JSON.stringify(body), { status, headers });
}
