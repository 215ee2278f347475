/**
 * The minimal SQL surface the integrity layer needs, so one code path serves real Postgres
 * (`pg`) and embedded PGlite: parameterized queries and a transaction that commits when the
 * callback resolves and rolls back when it throws.
 */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: R[] }>;
}

/** A database that can open transactions. Adapters: `pgPoolDatabase`, `pgliteDatabase`. */
export interface SqlDatabase extends SqlExecutor {
  /** `single-session` (PGlite): transactions are serialized; `multi-session`: real Postgres. */
  readonly kind: 'single-session' | 'multi-session';
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}
