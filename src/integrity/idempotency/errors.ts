import { UnbundledError } from '../../core/index.ts';

/** Error codes of the idempotency layer and the HTTP status each maps to. */
export const IDEMPOTENCY_ERRORS = {
  IDEMPOTENCY_KEY_MISSING: 400,
  IDEMPOTENCY_KEY_INVALID: 400,
  IDEMPOTENCY_IN_FLIGHT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
} as const;

export type IdempotencyErrorCode = keyof typeof IDEMPOTENCY_ERRORS;

export function missingKeyError(header: string): UnbundledError {
  return new UnbundledError(
    'IDEMPOTENCY_KEY_MISSING',
    `this endpoint requires an ${header} header; the client sent none. ` +
      `Fix: generate a unique key (e.g. a UUID v4) per logical operation and resend it on every retry`,
    { details: { status: 400 } },
  );
}

export function invalidKeyError(key: string, maxLength: number): UnbundledError {
  return new UnbundledError(
    'IDEMPOTENCY_KEY_INVALID',
    `idempotency key of ${key.length} characters is not 1..${maxLength} printable ASCII characters; ` +
      'use a UUID or another random string',
    { details: { status: 400 } },
  );
}

export function inFlightError(requestId: string): UnbundledError {
  return new UnbundledError(
    'IDEMPOTENCY_IN_FLIGHT',
    `a request with idempotency key "${requestId}" is still being processed; ` +
      'retry after it completes (the retry then receives the stored response)',
    { retryable: true, details: { status: 409, requestId } },
  );
}

export function keyReusedError(requestId: string): UnbundledError {
  return new UnbundledError(
    'IDEMPOTENCY_KEY_REUSED',
    `idempotency key "${requestId}" was already used for a different request (method, path or body ` +
      'differ); a key names one operation: use a new key for a new request',
    { details: { status: 422, requestId } },
  );
}

/** The HTTP status an error maps to: `details.status` when set, else 500. */
export function httpStatusOf(err: unknown): number {
  const status = (err as { details?: { status?: unknown } } | null)?.details?.status;
  return typeof status === 'number' ? status : 500;
}
