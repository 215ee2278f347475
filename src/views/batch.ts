import { UnbundledError } from '../core/errors.ts';
import type { ViewWrite } from './types.ts';

/** A batch reduced to its net effect: one entry per key, the last write wins. */
export interface NetBatch<Row> {
  readonly upserts: readonly (readonly [key: string, row: Row])[];
  readonly deletes: readonly string[];
}

/** Collapse writes to one per key (last wins), split into upserts and deletes. */
export function netBatch<Row>(view: string, writes: readonly ViewWrite<Row>[]): NetBatch<Row> {
  const last = new Map<string, Row | null>();
  for (const w of writes) {
    if (typeof w.key !== 'string') throw badKey(view, w.key);
    last.set(w.key, w.row);
  }
  const upserts: [string, Row][] = [];
  const deletes: string[] = [];
  for (const [key, row] of last) {
    if (row === null) deletes.push(key);
    else upserts.push([key, row]);
  }
  return { upserts, deletes };
}

/** Throw `VIEW_KEY_INVALID` unless every write has a string key (before anything is applied). */
export function checkKeys<Row>(view: string, writes: readonly ViewWrite<Row>[]): void {
  for (const w of writes) if (typeof w.key !== 'string') throw badKey(view, w.key);
}

function badKey(view: string, key: unknown): UnbundledError {
  return new UnbundledError(
    'VIEW_KEY_INVALID',
    `view "${view}": write key ${String(key)} is not a string; encode keys as strings (e.g. String(id)) before writing`,
  );
}
