import type { DuckDBConnection, DuckDBInstance, DuckDBResultReader } from '@duckdb/node-api';
import type { Position } from '../../core/position.ts';
import { netBatch } from '../batch.ts';
import type { ViewColumns } from '../column-types.ts';
import { checkPosition } from '../position-check.ts';
import { checkFields, type TableLayout, tableLayout } from '../postgres/columns.ts';
import { storeError } from '../store-error.ts';
import type {
  ApplyResult,
  ScanOptions,
  ScanPage,
  VersionedView,
  ViewStore,
  ViewWrite,
} from '../types.ts';
import { assertIdentifier, hash8, quoteIdent, versionTableName } from '../version-name.ts';
import { checkLimit, dropLive, dropped, missingVersion, notOpen } from '../view-errors.ts';
import { appendRow, decodeValue, mergeSelect, stageDefs, targetDefs } from './duckdb-columns.ts';
import { acquireDuckDb, ConnectionQueue, releaseDuckDb } from './duckdb-database.ts';

/** Options of `createDuckDbView`. */
export interface DuckDbViewOptions {
  /** Database file (e.g. `./data/analytics.duckdb`); ':memory:' for tests. */
  readonly path: string;
  /** Typed columns by row field; absent: one `row JSON` column. */
  readonly columns?: ViewColumns;
}

/** A DuckDB-backed view that can also export its live version as Parquet. */
export interface AnalyticsView<Row> extends VersionedView<Row> {
  /** Write the live version to a Parquet file (`COPY ... TO ... (FORMAT parquet)`). */
  exportParquet(file: string): Promise<void>;
  /** Run a read-only SQL query (e.g. an aggregate over the live view); rows as plain objects. */
  query(
    sql: string,
    params?: readonly (string | number | boolean | null)[],
  ): Promise<Record<string, unknown>[]>;
}

const CATALOG = `
CREATE TABLE IF NOT EXISTS unbundled_view_positions (
  view VARCHAR, version VARCHAR, table_name VARCHAR, position VARCHAR, PRIMARY KEY (view, version));
CREATE TABLE IF NOT EXISTS unbundled_view_live (view VARCHAR PRIMARY KEY, version VARCHAR);`;

const catalogs = new WeakMap<DuckDBInstance, Promise<void>>();

/**
 * Create the catalog tables once per database instance. Views share an instance but each has
 * its own connection, and DuckDB fails concurrent `CREATE TABLE IF NOT EXISTS` of the same table
 * from two connections with a write-write conflict, so the first view creates it for all.
 */
function ensureCatalog(instance: DuckDBInstance): Promise<void> {
  let done = catalogs.get(instance);
  if (done === undefined) {
    done = (async () => {
      const conn = await instance.connect();
      try {
        await conn.run(CATALOG);
      } finally {
        conn.closeSync();
      }
    })();
    catalogs.set(instance, done);
  }
  return done;
}

/**
 * An analytics view in DuckDB: one table per version (`<name>_v_<hash8>`) and a SQL view `<name>`
 * over the live one. A batch goes through the appender into a temp staging table, then one
 * transaction deletes the staged keys, inserts the upserts and updates the position row — the
 * appender writes inside that transaction, so a crash keeps all or none of it.
 *
 * @example
 * const revenue = createDuckDbView<{ cents: number }>('revenue', { path: './data/analytics.duckdb', columns: { cents: 'int8' } });
 * await revenue.exportParquet('./revenue.parquet');
 */
export function createDuckDbView<Row>(
  name: string,
  options: DuckDbViewOptions,
): AnalyticsView<Row> {
  return new DuckDbView<Row>(name, options);
}

/** @internal */
interface Ctx {
  readonly name: string;
  readonly layout: TableLayout;
  queue(): Promise<ConnectionQueue>;
}

class DuckDbView<Row> implements AnalyticsView<Row> {
  readonly name: string;
  readonly #path: string;
  readonly #ctx: Ctx;
  #queue: Promise<ConnectionQueue> | undefined;

  constructor(name: string, options: DuckDbViewOptions) {
    assertIdentifier('view', name);
    this.name = name;
    this.#path = options.path;
    this.#ctx = { name, layout: tableLayout(name, options.columns), queue: () => this.#connect() };
  }

  version(version: string): ViewStore<Row> {
    return new DuckDbViewStore<Row>(this.#ctx, version);
  }

  async liveVersion(): Promise<string | null> {
    const rows = await this.#read('SELECT version FROM unbundled_view_live WHERE view = $1', [
      this.name,
    ]);
    return (rows[0]?.version as string | undefined) ?? null;
  }

  async promote(version: string): Promise<void> {
    await this.#tx('promote', async (c) => {
      const r = await c.runAndReadAll(
        'SELECT table_name FROM unbundled_view_positions WHERE view = $1 AND version = $2',
        [this.name, version],
      );
      const table = r.getRowObjectsJS()[0]?.table_name as string | undefined;
      if (table === undefined) throw missingVersion(this.name, version);
      await c.run(
        `CREATE OR REPLACE VIEW ${quoteIdent(this.name)} AS SELECT * FROM ${quoteIdent(table)}`,
      );
      await c.run('INSERT OR REPLACE INTO unbundled_view_live VALUES ($1, $2)', [
        this.name,
        version,
      ]);
    });
  }

  async drop(version: string): Promise<void> {
    await this.#tx('drop', async (c) => {
      const live = await c.runAndReadAll(
        'SELECT version FROM unbundled_view_live WHERE view = $1',
        [this.name],
      );
      if (live.getRowObjectsJS()[0]?.version === version) throw dropLive(this.name, version);
      await c.run(`DROP TABLE IF EXISTS ${quoteIdent(versionTableName(this.name, version))}`);
      await c.run('DELETE FROM unbundled_view_positions WHERE view = $1 AND version = $2', [
        this.name,
        version,
      ]);
    });
  }

  async versions(): Promise<readonly string[]> {
    const rows = await this.#read(
      'SELECT version FROM unbundled_view_positions WHERE view = $1 ORDER BY version',
      [this.name],
    );
    return rows.map((r) => r.version as string);
  }

  async get(key: string): Promise<Row | undefined> {
    if ((await this.liveVersion()) === null) return undefined;
    return readGet<Row>(this.#ctx, this.name, key);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    checkLimit(this.name, opts.limit);
    if ((await this.liveVersion()) === null) return { rows: [] };
    return readScan<Row>(this.#ctx, this.name, opts);
  }

  async position(): Promise<Position | null> {
    const rows = await this.#read(
      `SELECT p.position FROM unbundled_view_live l JOIN unbundled_view_positions p
       ON p.view = l.view AND p.version = l.version WHERE l.view = $1`,
      [this.name],
    );
    const text = rows[0]?.position as string | null | undefined;
    return text ? (JSON.parse(text) as Position) : null;
  }

  async exportParquet(file: string): Promise<void> {
    const q = await this.#connect();
    const target = file.replaceAll("'", "''");
    await q
      .run((c) =>
        c.run(
          `COPY (SELECT * FROM ${quoteIdent(this.name)} ORDER BY key) TO '${target}' (FORMAT parquet)`,
        ),
      )
      .catch((err) => {
        throw storeError(`view "${this.name}": export Parquet to ${file}`, err);
      });
  }

  async query(sql: string, params: readonly (string | number | boolean | null)[] = []) {
    return this.#read(sql, [...params]);
  }

  async close(): Promise<void> {
    if (this.#queue === undefined) return;
    const q = await this.#queue;
    this.#queue = undefined;
    await q.run(async () => undefined);
    q.close();
    await releaseDuckDb(this.#path);
  }

  #connect(): Promise<ConnectionQueue> {
    this.#queue ??= (async () => {
      const instance = await acquireDuckDb(this.#path);
      await ensureCatalog(instance);
      return new ConnectionQueue(await instance.connect());
    })();
    return this.#queue;
  }

  async #read(sql: string, params: (string | number | boolean | null)[]) {
    const q = await this.#connect();
    return q
      .run(async (c) => (await c.runAndReadAll(sql, params)).getRowObjectsJS())
      .catch((err) => {
        throw storeError(`view "${this.name}": query`, err);
      });
  }

  async #tx(what: string, fn: (c: DuckDBConnection) => Promise<void>): Promise<void> {
    const q = await this.#connect();
    await q.run((c) => inTx(c, `view "${this.name}": ${what}`, fn));
  }
}

class DuckDbViewStore<Row> implements ViewStore<Row> {
  readonly name: string;
  readonly version: string;
  readonly #ctx: Ctx;
  readonly #table: string;
  readonly #stage: string;
  #open = false;

  constructor(ctx: Ctx, version: string) {
    this.name = ctx.name;
    this.version = version;
    this.#ctx = ctx;
    this.#table = versionTableName(ctx.name, version);
    this.#stage = `stage_${ctx.name}_${hash8(version)}`;
  }

  async open(): Promise<{ position: Position | null }> {
    const q = await this.#ctx.queue();
    const { layout } = this.#ctx;
    const position = await q.run((c) =>
      inTx(c, `view "${this.name}" version "${this.version}": open`, async () => {
        await c.run(
          `CREATE TABLE IF NOT EXISTS ${quoteIdent(this.#table)} (key VARCHAR PRIMARY KEY${targetDefs(layout)})`,
        );
        await c.run(
          `CREATE TEMP TABLE IF NOT EXISTS ${quoteIdent(this.#stage)} (${stageDefs(layout)})`,
        );
        await c.run('INSERT OR IGNORE INTO unbundled_view_positions VALUES ($1, $2, $3, NULL)', [
          this.name,
          this.version,
          this.#table,
        ]);
        return readPosition(c, this.name, this.version);
      }),
    );
    this.#open = true;
    return { position };
  }

  async apply(writes: readonly ViewWrite<Row>[], position: Position): Promise<ApplyResult> {
    this.#check();
    const { layout } = this.#ctx;
    const { upserts, deletes } = netBatch(this.name, writes);
    for (const [, row] of upserts) checkFields(this.name, layout, row);
    const q = await this.#ctx.queue();
    const what = `view "${this.name}" version "${this.version}": apply`;
    return q.run((c) =>
      inTx(c, what, async (): Promise<ApplyResult> => {
        const committed = await readPosition(c, this.name, this.version);
        const verdict = checkPosition(this.name, committed, position);
        if (verdict.kind === 'stale')
          return { applied: false, reason: 'stale', position: committed ?? {} };
        await this.#stageBatch(c, upserts, deletes);
        const t = quoteIdent(this.#table);
        const s = quoteIdent(this.#stage);
        await c.run(`DELETE FROM ${t} WHERE key IN (SELECT key FROM ${s})`);
        await c.run(`INSERT INTO ${t} SELECT ${mergeSelect(layout)} FROM ${s} WHERE NOT del`);
        await c.run(`DELETE FROM ${s}`);
        await c.run(
          'UPDATE unbundled_view_positions SET position = $3 WHERE view = $1 AND version = $2',
          [this.name, this.version, JSON.stringify(verdict.next)],
        );
        return { applied: true, position: verdict.next };
      }),
    );
  }

  async get(key: string): Promise<Row | undefined> {
    this.#check();
    return readGet<Row>(this.#ctx, this.#table, key);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    this.#check();
    checkLimit(this.name, opts.limit);
    return readScan<Row>(this.#ctx, this.#table, opts);
  }

  async position(): Promise<Position | null> {
    this.#check();
    const q = await this.#ctx.queue();
    return q.run((c) => readPosition(c, this.name, this.version));
  }

  async close(): Promise<void> {
    this.#open = false;
  }

  async #stageBatch(
    c: DuckDBConnection,
    upserts: readonly (readonly [string, Row])[],
    deletes: readonly string[],
  ): Promise<void> {
    const a = await c.createAppender(this.#stage, 'main', 'temp');
    const { layout } = this.#ctx;
    for (const [key, row] of upserts) appendRow(a, layout, key, row);
    for (const key of deletes) appendRow(a, layout, key, null);
    a.flushSync();
    a.closeSync();
  }

  #check(): void {
    if (!this.#open) throw notOpen(this.name, this.version);
  }
}

async function inTx<T>(
  c: DuckDBConnection,
  what: string,
  fn: (c: DuckDBConnection) => Promise<T>,
): Promise<T> {
  await c.run('BEGIN TRANSACTION');
  try {
    const out = await fn(c);
    await c.run('COMMIT');
    return out;
  } catch (err) {
    await c.run('ROLLBACK').catch(() => undefined);
    throw storeError(what, err);
  }
}

async function readPosition(
  c: DuckDBConnection,
  view: string,
  version: string,
): Promise<Position | null> {
  const r = await c.runAndReadAll(
    'SELECT position FROM unbundled_view_positions WHERE view = $1 AND version = $2',
    [view, version],
  );
  const rows = r.getRowObjectsJS();
  if (rows.length === 0) throw dropped(view, version);
  const text = rows[0]!.position as string | null;
  return text === null ? null : (JSON.parse(text) as Position);
}

async function readGet<Row>(ctx: Ctx, relation: string, key: string): Promise<Row | undefined> {
  const r = await readRows(ctx, `SELECT * FROM ${quoteIdent(relation)} WHERE key = $1`, [key]);
  return r[0]?.row as Row | undefined;
}

async function readScan<Row>(
  ctx: Ctx,
  relation: string,
  opts: ScanOptions,
): Promise<ScanPage<Row>> {
  const where = opts.cursor === undefined ? '' : 'WHERE key > $2';
  const params: (string | number)[] = [opts.limit + 1];
  if (opts.cursor !== undefined) params.push(opts.cursor);
  const sql = `SELECT * FROM ${quoteIdent(relation)} ${where} ORDER BY key LIMIT $1`;
  const all = await readRows(ctx, sql, params);
  const rows = all.slice(0, opts.limit) as { key: string; row: Row }[];
  return all.length > opts.limit ? { rows, cursor: rows.at(-1)!.key } : { rows };
}

async function readRows(ctx: Ctx, sql: string, params: (string | number)[]) {
  const q = await ctx.queue();
  const result = await q
    .run((c) => c.runAndReadAll(sql, params))
    .catch((err) => {
      throw storeError(`view "${ctx.name}": read`, err);
    });
  return decodeRows(result);
}

function decodeRows(r: DuckDBResultReader): { key: string; row: unknown }[] {
  const names = r.columnNames();
  const types = r.columnTypes();
  const jsonRow = names.length === 2 && names[1] === 'row' && types[1]?.alias === 'JSON';
  return r.getRows().map((values) => {
    const key = values[0] as string;
    if (jsonRow) return { key, row: decodeValue(types[1]!, values[1] ?? null) };
    const row: Record<string, unknown> = {};
    for (let i = 1; i < names.length; i++)
      row[names[i]!] = decodeValue(types[i]!, values[i] ?? null);
    return { key, row };
  });
}
