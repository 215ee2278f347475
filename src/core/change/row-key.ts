import { ByteWriter } from './byte-writer.ts';
import type { ColumnMeta, TextRow } from './change-event.ts';
import { UNCHANGED_TOAST } from './change-event.ts';

/**
 * The record key of a row: its key columns' text values, in column order, varint-encoded.
 * Deterministic, so every change of one row lands in the same partition, in order.
 * Returns null when the relation has no key columns.
 */
export function encodeRowKey(columns: readonly ColumnMeta[], row: TextRow): Uint8Array | null {
  const keys = columns.filter((c) => c.isKey);
  if (keys.length === 0) return null;
  const w = new ByteWriter(32);
  w.uvarint(keys.length);
  for (const c of keys) {
    const v = row[c.name];
    if (v === null || v === undefined || v === UNCHANGED_TOAST) w.byte(0);
    else {
      w.byte(2);
      w.string(v);
    }
  }
  return w.finish();
}
