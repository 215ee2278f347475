/**
 * The smallest SQL surface both `pg.Pool` and PGlite offer: what applications (the example's
 * load generator, API handlers) use to write to the source of truth through the runtime.
 */
export interface SqlClient {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Run `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on throw). */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
}
