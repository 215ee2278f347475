import type { PGlite } from '@electric-sql/pglite';

/** Options of `pgliteSource`. */
export interface PgliteSourceOptions {
  /**
   * The PGlite database: an open instance (shared with the application; PGlite has one session)
   * or a data directory, which the source opens and closes itself.
   */
  readonly db: PGlite | string;
  /** Tables to capture ('orders' = public.orders, 'sales.orders'). */
  readonly tables: readonly string[];
  /** Topic prefix: table topics are `<prefix>.<schema>.<table>`. Default 'pg' (as Postgres CDC). */
  readonly topicPrefix?: string;
  /** Partitions per table topic (records keyed by primary key). Default 1. */
  readonly partitions?: number;
  /** `source.db` in events. Default 'pglite'. */
  readonly dbName?: string;
  /** Snapshot rows already in a table when its capture is installed. Default true. */
  readonly snapshot?: boolean;
  /** Poll the change table this often when no notification arrives. Default 1000 ms. */
  readonly pollMs?: number;
  /** Change rows read per query. Default 2000. */
  readonly readRows?: number;
  /** Flush (append + fsync) once this many records wait. Default 5000. */
  readonly flushRecords?: number;
  /**
   * VACUUM the change table after about this many relayed rows were deleted. PGlite runs no
   * autovacuum, so the table would otherwise grow forever. Default 10000.
   */
  readonly vacuumRows?: number;
}

/** Options with defaults applied. */
export type ResolvedPgliteOptions = Required<PgliteSourceOptions>;

export function resolvePgliteOptions(o: PgliteSourceOptions): ResolvedPgliteOptions {
  return {
    db: o.db,
    tables: o.tables,
    topicPrefix: o.topicPrefix ?? 'pg',
    partitions: o.partitions ?? 1,
    dbName: o.dbName ?? 'pglite',
    snapshot: o.snapshot ?? true,
    pollMs: o.pollMs ?? 1000,
    readRows: o.readRows ?? 2000,
    flushRecords: o.flushRecords ?? 5000,
    vacuumRows: o.vacuumRows ?? 10_000,
  };
}
