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
  const res = await db.query<RawRow>(READ_SQL, [after.toString(), limit], { rowMode: 'object' });
  const first = res.rows[0];
  if (first === undefined || !first.clean) return { clean: false, rows: [] };
  const rows: ChangeRow[] = [];
  for (const r of res.rows) {
    if (r.seq === null) continue;
    rows.push({
      seq: BigInt(r.seq),
      txid: r.txid!,
      ts: Number(r.ts),
      op: r.op as ChangeRow['op'],
      schemaId: r.schema_id!,
      before: r.before,
      after: r.after,
    });
  }
  return { clean: true, rows };
}

/**
 * Delete relayed rows: every row with seq <= `upTo`. Safe to repeat and safe to lose (a row
 * relayed again is deduplicated by the log writer).
 */
export async function deleteRelayed(db: PGlite, upTo: bigint): Promise<void> {
  await db.query(`DELETE FROM ${CHANGE_TABLE} WHERE seq <= $1`, [upTo.toString()]);
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

interface RawRow {
  clean: boolean;
  seq: string | null;
  txid: string | null;
  ts: number | null;
  op: string | null;
  schema_id: number | null;
  before: string | null;
  after: string | null;
}

const READ_SQL = `
SELECT g.clean, c.seq::text AS seq, c.txid::text AS txid, c.ts, c.op::text AS op, c.schema_id,
       c.before, c.after
FROM (SELECT pg_current_xact_id_if_assigned() IS NULL AS clean) g
LEFT JOIN LATERAL (
  SELECT seq, txid, (extract(epoch FROM at) * 1000)::float8 AS ts, op, schema_id, before, after
  FROM ${CHANGE_TABLE}
  WHERE g.clean AND seq > $1::bigint
  ORDER BY seq
  LIMIT $2
) c ON true
ORDER BY c.seq`;
