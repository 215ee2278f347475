import {
  type ColumnMeta,
  type RowChange,
  type TextRow,
  type TextValue,
  UNCHANGED_TOAST,
} from '../../core/index.ts';
import type { PgOutputMessage } from './pgoutput-messages.ts';
import type { RelationInfo } from './relation-registry.ts';

/** Context of the source transaction a row change belongs to. */
export interface TxContext {
  readonly db: string;
  readonly lsn: bigint;
  readonly txId: number | null;
  readonly ts: number;
  readonly snapshot: boolean;
}

type RowMessage = Extract<PgOutputMessage, { tag: 'insert' | 'update' | 'delete' }>;

/** Build the Debezium-style row change of an insert/update/delete message. */
export function rowChangeOf(
  msg: RowMessage,
  rel: RelationInfo,
  tx: TxContext,
  seq: number,
): RowChange {
  let before: TextRow | null = null;
  let after: TextRow | null = null;
  if (msg.tag === 'insert') after = toRow(rel.columns, msg.after, false);
  else if (msg.tag === 'delete') before = toRow(rel.columns, msg.before, msg.beforeKind === 'K');
  else {
    before = msg.before ? toRow(rel.columns, msg.before, msg.beforeKind === 'K') : null;
    after = toRow(rel.columns, msg.after, false, msg.beforeKind === 'O' ? msg.before : null);
  }
  const op = msg.tag === 'insert' ? 'c' : msg.tag === 'update' ? 'u' : 'd';
  return { kind: 'row', op, before, after, source: sourceOf(rel, tx, seq), ts_ms: Date.now() };
}

/** A truncate of one table. */
export function truncateOf(rel: RelationInfo, tx: TxContext, seq: number): RowChange {
  return {
    kind: 'row',
    op: 't',
    before: null,
    after: null,
    source: sourceOf(rel, tx, seq),
    ts_ms: Date.now(),
  };
}

/** A snapshot ('r') row. */
export function readOf(
  rel: RelationInfo,
  values: TextValue[],
  tx: TxContext,
  seq: number,
): RowChange {
  return {
    kind: 'row',
    op: 'r',
    before: null,
    after: toRow(rel.columns, values, false),
    source: sourceOf(rel, tx, seq),
    ts_ms: Date.now(),
  };
}

function sourceOf(rel: RelationInfo, tx: TxContext, seq: number) {
  return {
    db: tx.db,
    schema: rel.schema,
    table: rel.table,
    lsn: tx.lsn,
    txId: tx.txId,
    ts_ms: tx.ts,
    snapshot: tx.snapshot,
    seq,
    schemaVersion: rel.version,
  };
}

/**
 * Positional tuple → named row (null-prototype). `keysOnly` keeps just key columns (old tuple of
 * REPLICA IDENTITY DEFAULT). An unchanged TOASTed value is filled from a full old tuple when one
 * was sent (REPLICA IDENTITY FULL), else kept as UNCHANGED_TOAST — never turned into NULL.
 */
function toRow(
  columns: readonly ColumnMeta[],
  values: readonly TextValue[],
  keysOnly: boolean,
  fill: readonly TextValue[] | null = null,
): TextRow {
  const row = Object.create(null) as Record<string, TextValue>;
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    let v = values[i] ?? null;
    // A key-only old tuple sends non-identity columns as NULL: leave them out.
    if (keysOnly && !c.isKey && v === null) continue;
    if (v === UNCHANGED_TOAST && fill && fill[i] !== undefined && fill[i] !== UNCHANGED_TOAST) {
      v = fill[i]!;
    }
    row[c.name] = v;
  }
  return row;
}
