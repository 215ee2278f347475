import { isRetryable, UnbundledError } from '../core/errors.ts';

/** Wrap a driver error as an UnbundledError that says what failed and whether to retry. */
export function storeError(what: string, err: unknown): UnbundledError {
  if (err instanceof UnbundledError) return err;
  const code = (err as { code?: unknown }).code;
  return new UnbundledError(
    'VIEW_STORE_FAILED',
    `${what} failed: ${(err as Error).message}${typeof code === 'string' ? ` (code ${code})` : ''}; ${isRetryable(err) ? 'transient — retry' : 'check the store and the view definition'}`,
    { retryable: isRetryable(err), cause: err },
  );
}
