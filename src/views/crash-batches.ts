import type { Position } from '../core/position.ts';
import type { ViewWrite } from './types.ts';

/** Rows written by crash tests. */
export interface CrashRow {
  readonly batch: number;
  readonly value: number;
}

/** Typed columns of the crash view in the SQL stores. */
export const CRASH_COLUMNS = { batch: 'int4', value: 'int4' } as const;

/** Writes per crash-test batch; batch i commits position { 'crash/0': (i + 1) * CRASH_BATCH }. */
export const CRASH_BATCH = 100;
const KEYS = 500;

/** The deterministic batch `i` of a crash test: upserts and deletes over 500 keys. */
export function crashBatch(i: number): ViewWrite<CrashRow>[] {
  let x = (i + 1) * 2654435761;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x;
  };
  return Array.from({ length: CRASH_BATCH }, (_, j) => {
    const key = `k${String(next() % KEYS).padStart(4, '0')}`;
    return next() % 5 === 0 ? { key, row: null } : { key, row: { batch: i, value: j } };
  });
}

/** Position committed with batch `i`. */
export function crashPosition(i: number): Position {
  return { 'crash/0': (i + 1) * CRASH_BATCH };
}

/** Number of whole batches a committed position stands for (throws on a torn position). */
export function batchesAt(position: Position | null): number {
  const offset = position?.['crash/0'] ?? 0;
  if (offset % CRASH_BATCH !== 0) throw new Error(`position ${offset} is not at a batch boundary`);
  return offset / CRASH_BATCH;
}

/** Oracle: the view contents after the first `n` batches, sorted by key. */
export function crashOracle(n: number): [string, CrashRow][] {
  const state = new Map<string, CrashRow>();
  for (let i = 0; i < n; i++) {
    for (const w of crashBatch(i)) {
      if (w.row === null) state.delete(w.key);
      else state.set(w.key, w.row);
    }
  }
  return [...state.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Search view options of the crash test: frequent snapshots, so kills land mid-write. */
export function searchCrashOptions(dir: string) {
  return { dir, fields: ['batch', 'value'], snapshotEveryWrites: 250, snapshotIntervalMs: 10 };
}
