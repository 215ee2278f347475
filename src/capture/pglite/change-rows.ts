import type { PGlite } from '@electric-sql/pglite';
import { CHANGE_TABLE } from './capture-sql.ts';

/** One row of the change table, as read by the relay. */
export interface ChangeRow {
  readonly seq: bigint;
  /** The writing transaction (xid8, as a decimal string). */
  readonly txid: string;
  /** Transaction start time, epoch ms. */
  readonly ts: number;
  readonly op: 'c' | 'u' | 'd' | 't' | 'r';
  readonly schemaId: number;
  /** Composite literal of the old row (`t::text`), for u and d. */
  readonly before: string | null;
  /** Composite literal of the new row, for c, u and r. */
  readonly after: string | null;
}

/** A batch of change rows, or `clean: false` when the session is inside someone's open write. */
export interface ChangeBatch {
  /** False when the (single) PGlite session is in a transaction that has written: nothing read. */
  readonly clean: boolean;
  readonly rows: readonly ChangeRow[];
}

/**
 * Read up to `limit` change rows with seq > `after`, in seq order.
 *
 * PGlite has one session. If the application holds a transaction open across awaits (a raw
 * BEGIN), our statement runs inside it and could see its uncommitted changes; the guard
 * `pg_current_xact_id_if_assigned() IS NULL` reads nothing when the session's transaction has
 * written (the only way uncommitted change rows can exist), and `clean` says so.
 */
export async function readChanges(db: PGlite, after: bigint, limit: number): Promise<ChangeBatch> {
  const res = await db.query<{ clean: boolean; j: string | null }>(READ_SQL, [
    after.toString(),
    limit,
  ]);
  const first = res.rows[0];
  if (first === undefined || !first.clean) return { clean: false, rows: [] };
  if (first.j === null) return { clean: true, rows: [] };
  const raw = JSON.parse(first.j) as RawRow[];
  return { clean: true, rows: raw.map(toChangeRow) };
}

/**
 * Delete relayed rows: every row with seq <= `upTo`. Safe to repeat and safe to lose (a row
 * relayed again is deduplicated by the log writer).
 */
export async function deleteRelayed(db: PGlite, upTo: bigint): Promise<void> {
  await db.query(`DELETE FROM ${CHANGE_TABLE} WHERE seq <= $1`, [upTo.toString()]);
}

/** The backlog: change rows not yet relayed (or relayed but not yet deleted), their image bytes, and the age of the oldest. */
export async function changeBacklog(
  db: PGlite,
): Promise<{ rows: number; bytes: number; seconds: number }> {
  const res = await db.query<{ rows: number; bytes: number; seconds: number }>(
    `SELECT count(*)::int AS rows,
            coalesce(sum(coalesce(octet_length(before), 0) + coalesce(octet_length(after), 0)), 0)::float8 AS bytes,
            coalesce(extract(epoch FROM clock_timestamp() - min(at)), 0)::float8 AS seconds
     FROM ${CHANGE_TABLE}`,
  );
  return res.rows[0] ?? { rows: 0, bytes: 0, seconds: 0 };
}

/**
 * Reclaim the space of deleted change rows. PGlite runs no autovacuum worker, so without this the
 * change table and its index grow forever. Returns false when it could not run now (VACUUM is
 * not allowed inside the application's open transaction); try again later.
 */
export async function vacuumChanges(db: PGlite): Promise<boolean> {
  if (db.isInTransaction()) return false;
  try {
    await db.exec(`VACUUM ${CHANGE_TABLE}`);
    return true;
  } catch {
    return false;
  }
}

/** Delete the rows of transactions whose first change has seq <= `firstSeq` (already relayed). */
export async function deleteThroughTransaction(db: PGlite, firstSeq: bigint): Promise<void> {
  await db.query(
    `DELETE FROM ${CHANGE_TABLE} WHERE seq < $1
       OR txid = (SELECT txid FROM ${CHANGE_TABLE} WHERE seq = $1)`,
    [firstSeq.toString()],
  );
}

/** seq, txid, ts, op, schema id, before, after (JSON keeps every text value exact). */
type RawRow = [string, string, number, string, number, string | null, string | null];

function toChangeRow(r: RawRow): ChangeRow {
  return {
    seq: BigInt(r[0]),
    txid: r[1],
    ts: r[2],
    op: r[3] as ChangeRow['op'],
    schemaId: r[4],
    before: r[5],
    after: r[6],
  };
}

/**
 * One result row holding the whole batch as a JSON array: PGlite's per-row result handling
 * costs more than building and parsing the JSON (measured 2x faster at 2000 rows per batch).
 */
const READ_SQL = `
SELECT g.clean, c.j
FROM (SELECT pg_current_xact_id_if_assigned() IS NULL AS clean) g
LEFT JOIN LATERAL (
  SELECT json_agg(json_build_array(x.seq::text, x.txid::text,
           (extract(epoch FROM x.at) * 1000)::float8, x.op::text, x.schema_id, x.before, x.after)
         ORDER BY x.seq)::text AS j
  FROM (
    SELECT * FROM ${CHANGE_TABLE}
    WHERE g.clean AND seq > $1::bigint
    ORDER BY seq
    LIMIT $2
  ) x
) c ON true`;
