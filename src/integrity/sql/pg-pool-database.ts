import type { SqlDatabase, SqlExecutor } from './sql-executor.ts';

/** The slice of `pg.Pool` used here (structural, so tests and wrappers fit). */
export interface PgPoolLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  connect(): Promise<PgClientLike>;
}

export interface PgClientLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  release(err?: Error | boolean): void;
}

/**
 * Wrap a `pg.Pool` as a `SqlDatabase`. A transaction takes one client, runs BEGIN … COMMIT,
 * and on error rolls back; a client whose ROLLBACK failed is destroyed, not reused.
 *
 * @example
 * const db = pgPoolDatabase(new pg.Pool({ connectionString: url }));
 */
export function pgPoolDatabase(pool: PgPoolLike): SqlDatabase {
  return {
    kind: 'multi-session',
    query: (text, params) => pool.query(text, params ? [...params] : undefined) as never,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const tx: SqlExecutor = {
        query: (text, params) => client.query(text, params ? [...params] : undefined) as never,
      };
      try {
        await client.query('BEGIN');
        const out = await fn(tx);
        await client.query('COMMIT');
        client.release();
        return out;
      } catch (err) {
        await rollback(client);
        throw err;
      }
    },
  };
}

async function rollback(client: PgClientLike): Promise<void> {
  try {
    await client.query('ROLLBACK');
    client.release();
  } catch (err) {
    client.release(err instanceof Error ? err : true);
  }
}
