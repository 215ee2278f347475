import { StringDecoder } from 'node:string_decoder';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { encodeRowKey } from '../../core/index.ts';
import type { CaptureStateStore } from './capture-state.ts';
import type { ChangeWriter } from './change-writer.ts';
import { parseCopyLine } from './copy-text.ts';
import type { RelationColumn } from './pgoutput-messages.ts';
import type { RelationInfo, RelationRegistry } from './relation-registry.ts';
import { readOf, type TxContext, truncateOf } from './row-events.ts';
import { qualified, quoteIdent, type TableRef } from './table-ref.ts';

/** Progress of an initial snapshot, reported about once a second. */
export interface SnapshotProgress {
  readonly table: string;
  readonly rows: number;
  /** Estimate from pg_class.reltuples (may be off; -1 when unknown). */
  readonly total: number;
  readonly rowsPerSec: number;
  readonly etaSec: number | null;
}

/** Everything the snapshot needs from the capture session. */
export interface SnapshotContext {
  readonly url: string;
  readonly snapshotName: string;
  readonly publication: string;
  readonly tx: TxContext;
  readonly writer: ChangeWriter;
  readonly registry: RelationRegistry;
  readonly state: CaptureStateStore;
  readonly chunkRecords: number;
  readonly onProgress: (p: SnapshotProgress) => void;
  /**
   * This snapshot replaces an unfinished earlier one (a crash mid-snapshot): each table's rows
   * start with a truncate in the same snapshot transaction, so consumers retract what the partial
   * snapshot asserted — rows deleted since it was taken would otherwise stay forever.
   */
  readonly reset?: boolean;
}

/**
 * Copy every published table as of the slot's exported snapshot (REPEATABLE READ + SET
 * TRANSACTION SNAPSHOT), as 'r' rows positioned at the slot's consistent point: streaming then
 * starts exactly after it, so there is no gap and no duplicate. Appends in chunks (bounded
 * memory); one commit boundary closes the whole snapshot.
 */
export async function takeSnapshot(ctx: SnapshotContext): Promise<number> {
  const client = new pg.Client(ctx.url);
  await client.connect();
  let total = 0;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT '${ctx.snapshotName}'`);
    const tables = await publishedTables(client, ctx.publication);
    ctx.writer.begin(ctx.tx.lsn, null, ctx.tx.ts);
    for (const t of tables) total += await snapshotTable(client, t, ctx);
    ctx.writer.commit(ctx.tx.lsn);
    await ctx.writer.flush();
    await client.query('COMMIT');
  } finally {
    await client.end().catch(() => {});
  }
  return total;
}

async function publishedTables(client: pg.Client, publication: string): Promise<TableRef[]> {
  const r = await client.query(
    'SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2',
    [publication],
  );
  return r.rows.map((row) => ({ schema: row.schemaname, table: row.tablename }));
}

async function snapshotTable(
  client: pg.Client,
  t: TableRef,
  ctx: SnapshotContext,
): Promise<number> {
  const { rel, estimate } = await describeTable(client, t, ctx);
  await ctx.writer.prepareTopic(rel.topic);
  ctx.writer.add(rel.topic, null, ctx.registry.schemaOf(rel), 0, 0);
  rel.announced = true;
  let seq = 0;
  if (ctx.reset) {
    ctx.writer.add(rel.topic, null, truncateOf(rel, ctx.tx, seq), seq, 1);
    seq++;
  }
  const cols = rel.columns.map((c) => quoteIdent(c.name)).join(', ');
  const stream = client.query(copyTo(`COPY (SELECT ${cols} FROM ${qualified(t)}) TO STDOUT`));
  const decoder = new StringDecoder('utf8');
  const started = Date.now();
  let lastReport = started;
  let rest = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const values = parseCopyLine(text.slice(start, nl));
      const ev = readOf(rel, values, ctx.tx, seq);
      ctx.writer.add(rel.topic, encodeRowKey(rel.columns, ev.after!), ev, seq, 1);
      seq++;
      start = nl + 1;
    }
    rest = text.slice(start);
    if (ctx.writer.pendingCount >= ctx.chunkRecords) await ctx.writer.flush();
    if (Date.now() - lastReport >= 1000) {
      lastReport = Date.now();
      ctx.onProgress(progress(`${t.schema}.${t.table}`, seq, estimate, started));
    }
  }
  ctx.onProgress(progress(`${t.schema}.${t.table}`, seq, seq, started));
  return seq;
}

function progress(table: string, rows: number, total: number, started: number): SnapshotProgress {
  const secs = Math.max(0.001, (Date.now() - started) / 1000);
  const rowsPerSec = Math.round(rows / secs);
  const etaSec = total > rows && rowsPerSec > 0 ? Math.ceil((total - rows) / rowsPerSec) : null;
  return { table, rows, total, rowsPerSec, etaSec };
}

/** Columns as pgoutput would describe them, registered as a schema version. */
async function describeTable(
  client: pg.Client,
  t: TableRef,
  ctx: SnapshotContext,
): Promise<{ rel: RelationInfo; estimate: number }> {
  const r = await client.query(
    `SELECT c.oid::int AS relid, c.relreplident AS ident, c.reltuples::float8 AS estimate,
            a.attname, a.atttypid::int AS typeoid, a.atttypmod AS typmod,
            (c.relreplident = 'f' OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid
               AND a.attnum = ANY(i.indkey)
               AND ((c.relreplident = 'd' AND i.indisprimary) OR (c.relreplident = 'i' AND i.indisreplident)))) AS iskey
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum`,
    [t.schema, t.table],
  );
  const first = r.rows[0];
  const cols: RelationColumn[] = r.rows.map((row) => ({
    name: row.attname,
    typeOid: row.typeoid,
    typmod: row.typmod,
    isKey: row.iskey,
  }));
  const columns = await ctx.registry.describeColumns(first.relid, cols);
  const { info, isNew } = ctx.registry.register(
    first.relid,
    t.schema,
    t.table,
    first.ident,
    columns,
    ctx.tx.lsn,
    ctx.tx.ts,
  );
  if (isNew) await ctx.state.appendSchema(isNew);
  return { rel: info, estimate: first.estimate };
}
