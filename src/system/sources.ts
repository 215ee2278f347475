import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { type CaptureStatus, pgliteSource, postgres } from '../capture/index.ts';
import { topicForTable, transactionsTopic, UnbundledError } from '../core/index.ts';
import type { Log } from '../log/index.ts';
import type { SqlClient } from './sql-client.ts';
import type { StoreContext } from './stores.ts';
import { qualifiedName, type TableDef } from './table.ts';

/** A running connection to a source of truth. */
export interface SourceRuntime {
  /** Which database this is: 'pglite' (embedded) or 'postgres'. */
  readonly engine: 'pglite' | 'postgres';
  /** SQL access for the application: writes here are captured into the log. */
  readonly sql: SqlClient;
  /** The topic carrying the changes of `table`. */
  topicFor(table: string): string;
  /** The topic carrying one commit record per source transaction. */
  readonly transactionsTopic: string;
  /** Capture into `log` until `signal` aborts. */
  run(log: Log, signal: AbortSignal): Promise<void>;
  /** What the capture is doing now (starting, snapshot progress, streaming with acked LSN …). */
  status(): CaptureStatus;
  close(): Promise<void>;
}

/**
 * A source of truth with its tables. The tables' `ddl` is run (idempotently) at start, so the
 * embedded default needs no setup.
 */
export interface SourceDef<T extends Readonly<Record<string, TableDef>>> {
  readonly kind: 'source';
  readonly tables: T;
  connect(name: string, ctx: StoreContext): Promise<SourceRuntime>;
}

/**
 * The source of truth: real Postgres (logical replication) when `url` or `DATABASE_URL` is set,
 * otherwise embedded PGlite under `<dataDir>/<name>/pglite` (trigger capture).
 *
 * @example
 * const shop = database({ tables: { products, users, orders } });
 */
export function database<T extends Readonly<Record<string, TableDef>>>(def: {
  tables: T;
  url?: string;
}): SourceDef<T> {
  const tables = Object.freeze({ ...def.tables });
  return Object.freeze({
    kind: 'source' as const,
    tables,
    async connect(name: string, ctx: StoreContext): Promise<SourceRuntime> {
      const url = def.url ?? ctx.env.DATABASE_URL;
      const list = Object.values(tables);
      return url ? connectPostgres(name, url, list) : connectPglite(name, ctx.dataDir, list);
    },
  });
}

async function connectPglite(
  name: string,
  dataDir: string,
  tables: readonly TableDef[],
): Promise<SourceRuntime> {
  const dir = join(dataDir, name, 'pglite');
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create(dir);
  for (const t of tables) if (t.ddl) await db.exec(t.ddl);
  const source = pgliteSource({ db, tables: tables.map((t) => t.name), topicPrefix: name });
  const sql: SqlClient = {
    query: (text, params) => db.query(text, params),
    transaction: (fn) =>
      db.transaction((tx) => fn({ query: (t, p) => tx.query(t, p), transaction: noNesting })),
  };
  return {
    engine: 'pglite',
    sql,
    topicFor: (table) => topicOf(name, table),
    transactionsTopic: transactionsTopic(name),
    run: (log, signal) => source.run(log, signal),
    status: () => source.current,
    close: async () => {
      await db.close();
    },
  };
}

async function connectPostgres(
  name: string,
  url: string,
  tables: readonly TableDef[],
): Promise<SourceRuntime> {
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  // An idle pooled client that loses its server (restart, 57P01) is dropped by the pool; the
  // next query reconnects. Without a listener the pool would re-throw it as an uncaught error.
  pool.on('error', () => {});
  for (const t of tables) if (t.ddl) await pool.query(t.ddl);
  const source = postgres({
    connection: url,
    tables: tables.map((t) => t.name),
    topicPrefix: name,
    slot: `unbundled_${name}`,
    publication: `unbundled_${name}`,
  });
  return {
    engine: 'postgres',
    sql: pgSqlClient(pool),
    topicFor: (table) => topicOf(name, table),
    transactionsTopic: transactionsTopic(name),
    run: (log, signal) => source.run(log, signal),
    status: () => source.current,
    close: () => pool.end(),
  };
}

function topicOf(prefix: string, table: string): string {
  const q = qualifiedName(table);
  return topicForTable(q.schema, q.table, prefix);
}

/** A `SqlClient` over a `pg.Pool` (transactions on one pooled connection). */
export function pgSqlClient(pool: pg.Pool): SqlClient {
  return {
    query: async <R>(text: string, params?: unknown[]) =>
      (await pool.query(text, params)) as unknown as { rows: R[] },
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const out = await fn({
          query: async <R>(t: string, p?: unknown[]) =>
            (await client.query(t, p)) as unknown as { rows: R[] },
          transaction: noNesting,
        });
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

function noNesting(): never {
  throw new UnbundledError('SYSTEM_NESTED_TRANSACTION', 'nested transactions are not supported');
}
