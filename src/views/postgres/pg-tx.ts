import type pg from 'pg';
import { UnbundledError } from '../../core/errors.ts';
import { storeError } from '../store-error.ts';

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
