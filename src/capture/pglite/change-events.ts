import {
  encodeRowKey,
  parseCompositeLiteral,
  type RowChange,
  type TextRow,
  type TextValue,
  UnbundledError,
} from '../../core/index.ts';
import type { ChangeRow } from './change-rows.ts';
import type { CapturedShape } from './schema-cache.ts';

/** The source transaction a change row belongs to. */
export interface PgliteTx {
  readonly db: string;
  /** Position of the transaction: the seq of its first change (increases in commit order). */
  readonly lsn: bigint;
  readonly txId: number;
  readonly ts: number;
}

/** The Debezium-style row change of a change-table row, and its record key. */
export function rowChangeOf(
  row: ChangeRow,
  shape: CapturedShape,
  tx: PgliteTx,
  seq: number,
): { change: RowChange; key: Uint8Array | null } {
  const before = row.before === null ? null : toTextRow(shape, row.before);
  const after = row.after === null ? null : toTextRow(shape, row.after);
  const change: RowChange = {
    kind: 'row',
    op: row.op,
    before,
    after,
    source: {
      db: tx.db,
      schema: shape.schema,
      table: shape.table,
      lsn: tx.lsn,
      txId: tx.txId,
      ts_ms: tx.ts,
      snapshot: row.op === 'r',
      seq,
      schemaVersion: shape.id,
    },
    ts_ms: Date.now(),
  };
  const image = after ?? before;
  return { change, key: image === null ? null : encodeRowKey(shape.columns, image) };
}

/** Composite literal (`t::text`) → named text row, checked against the shape's columns. */
function toTextRow(shape: CapturedShape, literal: string): TextRow {
  const values = shape.columns.length === 0 ? [] : parseCompositeLiteral(literal);
  if (values.length !== shape.columns.length) {
    throw new UnbundledError(
      'CAPTURE_ROW_SHAPE',
      `a captured row of ${shape.schema}.${shape.table} has ${values.length} values but its shape ${shape.id} has ${shape.columns.length} columns; the change table was edited by hand — reinstall the capture`,
    );
  }
  const row: Record<string, TextValue> = Object.create(null);
  shape.columns.forEach((c, i) => {
    row[c.name] = values[i] ?? null;
  });
  return row;
}
