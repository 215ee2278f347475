import { join } from 'node:path';
import { UnbundledError } from '../core/index.ts';
import {
  createDuckDbView,
  createLruView,
  createMemoryView,
  createPostgresView,
  createRedisView,
  createSearchView,
  type PgColumns,
  type VersionedView,
  type ViewColumns,
} from '../views/index.ts';

/** What a store factory is given by the runtime. */
export interface StoreContext {
  /** The system's data directory (embedded stores keep their files below it). */
  readonly dataDir: string;
  /** Environment (DATABASE_URL, REDIS_URL …); the runtime passes process.env by default. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Where a view is materialized. A frozen descriptor: `kind` and `options` are part of the view's
 * version hash (change them and the view is rebuilt); `create` makes the store at run time.
 */
export interface StoreDef {
  readonly kind: string;
  readonly options: Readonly<Record<string, unknown>>;
  // biome-ignore lint/suspicious/noExplicitAny: stores are row-type agnostic at run time
  create(view: string, ctx: StoreContext): VersionedView<any>;
}

function storeDef(
  kind: string,
  options: Record<string, unknown>,
  // biome-ignore lint/suspicious/noExplicitAny: see StoreDef
  create: (view: string, ctx: StoreContext) => VersionedView<any>,
): StoreDef {
  return Object.freeze({ kind, options: Object.freeze(options), create });
}

/** In-process memory (for serving and tests); rebuilt from the log on start. */
export function memory(): StoreDef {
  return storeDef('memory', {}, (view) => createMemoryView(view));
}

/**
 * Embedded full-text search (MiniSearch), persisted as an atomically replaced snapshot with its
 * position under `<dataDir>/search`.
 */
export function search(options: { fields: readonly string[] }): StoreDef {
  return storeDef('search', { fields: [...options.fields] }, (view, ctx) =>
    createSearchView(view, { dir: join(ctx.dataDir, 'search'), fields: options.fields }),
  );
}

/**
 * A cache: Redis when `url` or `REDIS_URL` is set (rows and position applied by one Lua script),
 * otherwise an in-process LRU of `maxEntries` (default 100 000), rebuilt from the log on start.
 */
export function cache(options: { maxEntries?: number; url?: string } = {}): StoreDef {
  const maxEntries = options.maxEntries ?? 100_000;
  return storeDef('cache', { maxEntries }, (view, ctx) => {
    const url = options.url ?? ctx.env.REDIS_URL;
    return url ? createRedisView(view, { url }) : createLruView(view, { maxEntries });
  });
}

/**
 * A Postgres table (typed columns, or one jsonb `row` column), upserted in batches with its
 * position in the same transaction. Connects to `url` or `DATABASE_URL`.
 */
export function postgresTable(options: { columns?: PgColumns; url?: string } = {}): StoreDef {
  const o: Record<string, unknown> = options.columns ? { columns: options.columns } : {};
  return storeDef('postgres', o, (view, ctx) => {
    const connectionString = options.url ?? ctx.env.DATABASE_URL;
    if (!connectionString) {
      throw new UnbundledError(
        'SYSTEM_STORE_UNCONFIGURED',
        `view "${view}" is stored in Postgres but no connection is configured: set DATABASE_URL or pass url`,
      );
    }
    return createPostgresView(view, {
      connectionString,
      ...(options.columns ? { columns: options.columns } : {}),
    });
  });
}

/**
 * An analytics table in DuckDB (`<dataDir>/analytics.duckdb`): batches go through the appender,
 * merged with the position row in one transaction; export to Parquet from the view.
 */
export function analytics(options: { columns?: ViewColumns } = {}): StoreDef {
  const o: Record<string, unknown> = options.columns ? { columns: options.columns } : {};
  return storeDef('analytics', o, (view, ctx) =>
    createDuckDbView(view, {
      path: join(ctx.dataDir, 'analytics.duckdb'),
      ...(options.columns ? { columns: options.columns } : {}),
    }),
  );
}

/**
 * A relational table: Postgres when `DATABASE_URL` is set (users query it with their own SQL),
 * otherwise DuckDB under the data directory. Same columns either way.
 */
export function relational(options: { columns?: PgColumns & ViewColumns } = {}): StoreDef {
  const o: Record<string, unknown> = options.columns ? { columns: options.columns } : {};
  return storeDef('relational', o, (view, ctx) =>
    ctx.env.DATABASE_URL
      ? postgresTable(options).create(view, ctx)
      : analytics(options).create(view, ctx),
  );
}
