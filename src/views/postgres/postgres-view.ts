import pg from 'pg';
import { UnbundledError } from '../../core/errors.ts';
import type { Position } from '../../core/position.ts';
import { netBatch } from '../batch.ts';
import { checkPosition } from '../position-check.ts';
import { storeError } from '../store-error.ts';
import type {
  ApplyResult,
  ScanOptions,
  ScanPage,
  VersionedView,
  ViewStore,
  ViewWrite,
} from '../types.ts';
import { assertIdentifier, quoteIdent, versionTableName } from '../version-name.ts';
import { checkLimit, dropLive, dropped, missingVersion, notOpen } from '../view-errors.ts';
import {
  checkFields,
  columnArrays,
  type PgColumns,
  rawTypes,
  rowDecoder,
  type TableLayout,
  tableLayout,
} from './columns.ts';
import {
  CATALOG_DDL,
  CATALOG_LOCK,
  createTableSql,
  deleteSql,
  getSql,
  type SearchDdl,
  scanSql,
  upsertSql,
} from './pg-sql.ts';
import { withTx } from './pg-tx.ts';

/** Options of `createPostgresView`. Pass a `pool` you own, or a `connectionString`. */
export interface PostgresViewOptions {
  readonly pool?: pg.Pool;
  readonly connectionString?: string;
  /** Typed columns by row field; absent: one `row jsonb` column. */
  readonly columns?: PgColumns;
}

/**
 * A view as Postgres tables: one table per version (`<name>_v_<hash8>`), and a SQL view `<name>`
 * over the live version that readers (and users' own SQL) query. `apply` upserts and deletes a
 * batch with one statement each (unnest / ANY) and updates `unbundled_view_positions` in the same
 * transaction. `promote` replaces the SQL view and the live row in one transaction.
 *
 * @example
 * const orders = createPostgresView<{ total: number }>('orders', {
 *   connectionString: process.env.DATABASE_URL, columns: { total: 'float8' } });
 */
export function createPostgresView<Row>(
  name: string,
  options: PostgresViewOptions,
): PostgresView<Row> {
  return new PostgresView<Row>(name, options);
}

/** @internal Shared by the full-text variant. */
export interface PgViewContext {
  readonly name: string;
  readonly pool: pg.Pool;
  readonly layout: TableLayout;
  readonly search: SearchDdl | undefined;
  ready(): Promise<void>;
}

/** A Postgres-backed versioned view (see `createPostgresView`). */
export class PostgresView<Row> implements VersionedView<Row> {
  readonly name: string;
  readonly #ctx: PgViewContext;
  readonly #ownsPool: boolean;
  #ready: Promise<void> | undefined;

  constructor(name: string, options: PostgresViewOptions, search?: SearchDdl) {
    assertIdentifier('view', name);
    this.name = name;
    this.#ownsPool = options.pool === undefined;
    const pool = options.pool ?? ownPool(options.connectionString);
    this.#ctx = {
      name,
      pool,
      layout: tableLayout(name, options.columns),
      search,
      ready: () => {
        this.#ready ??= withTx(pool, `view "${name}": create catalog`, async (c) => {
          await c.query(CATALOG_LOCK);
          await c.query(CATALOG_DDL);
        });
        return this.#ready;
      },
    };
  }

  /** @internal */
  get context(): PgViewContext {
    return this.#ctx;
  }

  version(version: string): ViewStore<Row> {
    return new PostgresViewStore<Row>(this.#ctx, version);
  }

  async liveVersion(): Promise<string | null> {
    await this.#ctx.ready();
    const r = await this.#query(
      'read live version',
      'SELECT version FROM unbundled_view_live WHERE view = $1',
      [this.name],
    );
    return (r.rows[0]?.version as string | undefined) ?? null;
  }

  async promote(version: string): Promise<void> {
    await this.#ctx.ready();
    await withTx(this.#ctx.pool, `view "${this.name}": promote "${version}"`, async (c) => {
      await c.query(CATALOG_LOCK);
      const r = await c.query(
        'SELECT table_name FROM unbundled_view_positions WHERE view = $1 AND version = $2',
        [this.name, version],
      );
      const table = r.rows[0]?.table_name as string | undefined;
      if (table === undefined) throw missingVersion(this.name, version);
      await replaceLiveView(c, this.name, table);
      await c.query(
        `INSERT INTO unbundled_view_live (view, version) VALUES ($1, $2)
         ON CONFLICT (view) DO UPDATE SET version = EXCLUDED.version, promoted_at = now()`,
        [this.name, version],
      );
    });
  }

  async drop(version: string): Promise<void> {
    await this.#ctx.ready();
    await withTx(this.#ctx.pool, `view "${this.name}": drop "${version}"`, async (c) => {
      await c.query(CATALOG_LOCK);
      const live = await c.query('SELECT version FROM unbundled_view_live WHERE view = $1', [
        this.name,
      ]);
      if (live.rows[0]?.version === version) throw dropLive(this.name, version);
      await c.query(`DROP TABLE IF EXISTS ${quoteIdent(versionTableName(this.name, version))}`);
      await c.query('DELETE FROM unbundled_view_positions WHERE view = $1 AND version = $2', [
        this.name,
        version,
      ]);
    });
  }

  async versions(): Promise<readonly string[]> {
    await this.#ctx.ready();
    const r = await this.#query(
      'list versions',
      'SELECT version FROM unbundled_view_positions WHERE view = $1 ORDER BY version COLLATE "C"',
      [this.name],
    );
    return r.rows.map((x) => x.version as string);
  }

  async get(key: string): Promise<Row | undefined> {
    return readGet<Row>(this.#ctx, this.name, key, true);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    return readScan<Row>(this.#ctx, this.name, opts, true);
  }

  async position(): Promise<Position | null> {
    await this.#ctx.ready();
    const r = await this.#query(
      'read live position',
      `SELECT p.position FROM unbundled_view_live l
       JOIN unbundled_view_positions p ON p.view = l.view AND p.version = l.version WHERE l.view = $1`,
      [this.name],
    );
    return (r.rows[0]?.position as Position | null | undefined) ?? null;
  }

  async close(): Promise<void> {
    if (this.#ownsPool) await this.#ctx.pool.end();
  }

  async #query(what: string, text: string, values: unknown[]) {
    try {
      return await this.#ctx.pool.query(text, values);
    } catch (err) {
      throw storeError(`view "${this.name}": ${what}`, err);
    }
  }
}

/** One version of a Postgres view: its own table and its row in `unbundled_view_positions`. */
class PostgresViewStore<Row> implements ViewStore<Row> {
  readonly name: string;
  readonly version: string;
  readonly #ctx: PgViewContext;
  readonly #table: string;
  #open = false;
  #position: Position | null = null;

  constructor(ctx: PgViewContext, version: string) {
    this.name = ctx.name;
    this.version = version;
    this.#ctx = ctx;
    this.#table = versionTableName(ctx.name, version);
  }

  async open(): Promise<{ position: Position | null }> {
    await this.#ctx.ready();
    const what = `view "${this.name}" version "${this.version}": open`;
    const position = await withTx(this.#ctx.pool, what, async (c) => {
      await c.query(CATALOG_LOCK);
      await c.query(createTableSql(this.#table, this.#ctx.layout, this.#ctx.search));
      await checkTableColumns(c, this.name, this.version, this.#table, this.#ctx.layout);
      await c.query(
        `INSERT INTO unbundled_view_positions (view, version, table_name) VALUES ($1, $2, $3)
         ON CONFLICT (view, version) DO NOTHING`,
        [this.name, this.version, this.#table],
      );
      return readPosition(c, this.name, this.version, false);
    });
    this.#open = true;
    this.#position = position;
    return { position };
  }

  async apply(writes: readonly ViewWrite<Row>[], position: Position): Promise<ApplyResult> {
    this.#check();
    const { layout } = this.#ctx;
    const { upserts, deletes } = netBatch(this.name, writes);
    for (const [, row] of upserts) checkFields(this.name, layout, row);
    const what = `view "${this.name}" version "${this.version}": apply`;
    const result = await withTx(this.#ctx.pool, what, async (c): Promise<ApplyResult> => {
      const committed = await readPosition(c, this.name, this.version, true);
      const verdict = checkPosition(this.name, committed, position);
      if (verdict.kind === 'stale')
        return { applied: false, reason: 'stale', position: committed ?? {} };
      if (upserts.length > 0) {
        const keys = upserts.map(([k]) => k);
        const cols = columnArrays(
          this.name,
          layout,
          upserts.map(([, r]) => r),
        );
        await c.query(upsertSql(this.#table, layout), [keys, ...cols]);
      }
      if (deletes.length > 0) await c.query(deleteSql(this.#table), [deletes]);
      await writePosition(c, this.name, this.version, verdict.next);
      return { applied: true, position: verdict.next };
    });
    this.#position = result.position;
    return result;
  }

  async get(key: string): Promise<Row | undefined> {
    this.#check();
    return readGet<Row>(this.#ctx, this.#table, key, false);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    this.#check();
    return readScan<Row>(this.#ctx, this.#table, opts, false);
  }

  async position(): Promise<Position | null> {
    this.#check();
    return this.#position;
  }

  async close(): Promise<void> {
    this.#open = false;
  }

  #check(): void {
    if (!this.#open) throw notOpen(this.name, this.version);
  }
}

/**
 * Point the SQL view `name` at `table`. `CREATE OR REPLACE VIEW` keeps views users built on top of
 * ours working when the columns are compatible; otherwise the view is dropped and recreated (which
 * fails, rolling back the promote, if user objects depend on it).
 */
async function replaceLiveView(c: pg.PoolClient, name: string, table: string): Promise<void> {
  const create = `VIEW ${quoteIdent(name)} AS SELECT * FROM ${quoteIdent(table)}`;
  await c.query('SAVEPOINT ub_replace');
  try {
    await c.query(`CREATE OR REPLACE ${create}`);
    return;
  } catch {
    await c.query('ROLLBACK TO SAVEPOINT ub_replace');
  }
  await c.query(`DROP VIEW IF EXISTS ${quoteIdent(name)}`);
  await c.query(`CREATE ${create}`);
}

/** An existing version table must have the columns the view declares (else writes would fail). */
async function checkTableColumns(
  c: pg.PoolClient,
  view: string,
  version: string,
  table: string,
  layout: TableLayout,
): Promise<void> {
  const r = await c.query(
    `SELECT column_name, udt_name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1 AND column_name NOT IN ('key', 'search')
     ORDER BY ordinal_position`,
    [table],
  );
  const have = r.rows.map((x) => `${x.column_name} ${x.udt_name}`).join(', ');
  const want = layout.names.map((n, i) => `${n} ${layout.types[i]}`).join(', ');
  if (have !== want) {
    throw new UnbundledError(
      'VIEW_SCHEMA_MISMATCH',
      `view "${view}" version "${version}": table ${table} has columns (${have}) but the view declares (${want}); a change of columns needs a new version (the version should hash the view definition) — or drop this version`,
    );
  }
}

async function readPosition(
  c: pg.PoolClient,
  view: string,
  version: string,
  forUpdate: boolean,
): Promise<Position | null> {
  const r = await c.query(
    `SELECT position FROM unbundled_view_positions WHERE view = $1 AND version = $2${forUpdate ? ' FOR UPDATE' : ''}`,
    [view, version],
  );
  if (r.rows.length === 0) throw dropped(view, version);
  return (r.rows[0].position as Position | null) ?? null;
}

/** Write a version's position row (inside the caller's transaction). */
export async function writePosition(
  c: pg.ClientBase,
  view: string,
  version: string,
  position: Position,
): Promise<void> {
  await c.query(
    'UPDATE unbundled_view_positions SET position = $3, updated_at = now() WHERE view = $1 AND version = $2',
    [view, version, JSON.stringify(position)],
  );
}

async function readGet<Row>(
  ctx: PgViewContext,
  relation: string,
  key: string,
  live: boolean,
): Promise<Row | undefined> {
  const r = await readQuery(ctx, relation, getSql(relation), [key], live);
  if (r === undefined || r.rows.length === 0) return undefined;
  return rowDecoder(r.fields)(r.rows[0]) as Row;
}

async function readScan<Row>(
  ctx: PgViewContext,
  relation: string,
  opts: ScanOptions,
  live: boolean,
): Promise<ScanPage<Row>> {
  checkLimit(ctx.name, opts.limit);
  const values: unknown[] = [opts.limit + 1];
  if (opts.cursor !== undefined) values.push(opts.cursor);
  const r = await readQuery(
    ctx,
    relation,
    scanSql(relation, opts.cursor !== undefined),
    values,
    live,
  );
  if (r === undefined) return { rows: [] };
  const decode = rowDecoder(r.fields);
  const rows = r.rows
    .slice(0, opts.limit)
    .map((x) => ({ key: x.key as string, row: decode(x) as Row }));
  const more = r.rows.length > opts.limit;
  return more ? { rows, cursor: rows.at(-1)!.key } : { rows };
}

/** Query a version table or the live SQL view; a missing live view (nothing promoted) reads empty. */
async function readQuery(
  ctx: PgViewContext,
  relation: string,
  text: string,
  values: unknown[],
  live: boolean,
): Promise<pg.QueryResult | undefined> {
  try {
    return await ctx.pool.query({ text, values, types: rawTypes });
  } catch (err) {
    if (live && (err as { code?: string }).code === '42P01') return undefined;
    throw storeError(`view "${ctx.name}": read ${relation}`, err);
  }
}

/** A pool the view owns; idle-client errors (server restart) are retried by the next query. */
function ownPool(connectionString: string | undefined): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 4 });
  pool.on('error', () => undefined);
  return pool;
}
