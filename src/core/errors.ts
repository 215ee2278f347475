/**
 * The one root error of unbundled. Every error a user can see carries a stable string `code`,
 * a `retryable` flag (may the same call succeed later?), and the standard `cause`.
 * Messages say what happened, the likely cause and the fix.
 *
 * @example
 * throw new UnbundledError('LOG_UNKNOWN_TOPIC', `topic "orders" does not exist; create it first`);
 */
export class UnbundledError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UnbundledError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

/** True when `err` is an UnbundledError, optionally with the given code. */
export function isUnbundledError(err: unknown, code?: string): err is UnbundledError {
  return err instanceof UnbundledError && (code === undefined || err.code === code);
}

/** Whether an arbitrary error may succeed on retry. Programmer errors (TypeError etc.) never do. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof UnbundledError) return err.retryable;
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) {
    return false;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return retryableNodeCodes.has(code) || retryableSqlState(code);
  return false;
}

const retryableNodeCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAGAIN']);

/** SQLSTATE classes: 08 connection, 40001 serialization, 40P01 deadlock, 57P01 admin shutdown. */
function retryableSqlState(code: string): boolean {
  return /^08/.test(code) || code === '40001' || code === '40P01' || /^57P0[1-3]$/.test(code);
}
