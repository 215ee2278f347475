import { createHash } from 'node:crypto';

/**
 * The fingerprint of a request: SHA-256 over method, path and the SHA-256 of the body. A retry
 * must carry the same fingerprint; the same key with another fingerprint is a misuse (422).
 *
 * @example
 * requestFingerprint('POST', '/orders', utf8('{"sku":"a"}'))
 */
export function requestFingerprint(
  method: string,
  path: string,
  body: Uint8Array | string,
): string {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${path}\n${bodyHash}`)
    .digest('base64url');
}

/** A signed 64-bit advisory-lock id (decimal string) for a scoped key. */
export function advisoryLockId(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  return digest.readBigInt64BE(0).toString();
}
