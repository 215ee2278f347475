import type pg from 'pg';
import { isRetryable, UnbundledError } from '../../core/errors.ts';

/** Run `fn` in one transaction on a pooled client; roll back and wrap the error on failure. */
export async function withTx<T>(
  pool: pg.Pool,
  what: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw storeError(what, err);
  }
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    client.release();
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release(err instanceof UnbundledError ? undefined : (err as Error));
    throw storeError(what, err);
  }
}

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
