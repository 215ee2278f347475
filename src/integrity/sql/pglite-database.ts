import type { SqlDatabase, SqlExecutor } from './sql-executor.ts';

/** Something PGlite-shaped that runs a parameterized query (an instance or a transaction). */
export interface PGliteQueryable {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** The slice of a PGlite instance used here. */
export interface PGliteLike extends PGliteQueryable {
  transaction<T>(fn: (tx: PGliteQueryable) => Promise<T>): Promise<T>;
}

/**
 * Wrap a PGlite instance as a `SqlDatabase`. PGlite has one session: its transactions run one
 * at a time, so a concurrent request waits for the one in flight instead of seeing its lock.
 *
 * @example
 * const db = pgliteDatabase(await PGlite.create(dataDir));
 */
export function pgliteDatabase(pglite: PGliteLike): SqlDatabase {
  const wrap = (q: PGliteQueryable): SqlExecutor => ({
    query: (text, params) => q.query(text, params ? [...params] : undefined) as never,
  });
  return {
    kind: 'single-session',
    query: wrap(pglite).query,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
  };
}
