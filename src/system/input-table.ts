import type { ColumnMeta, RowChange } from '../core/index.ts';
import { decodeRow, UNCHANGED_TOAST } from '../core/index.ts';
import type { Batch } from '../dataflow/index.ts';
import { decodeCanonical, encodeCanonical } from '../dataflow/index.ts';
import type { StandardSchemaV1 } from './standard-schema.ts';
import { formatIssues } from './standard-schema.ts';

/** A row change the input could not turn into a diff (schema mismatch …), for the DLQ. */
export interface RejectedChange {
  readonly change: RowChange;
  readonly error: string;
}

/**
 * Turns a table's change events (upserts and deletes keyed by primary key, as CDC delivers them)
 * into diffs: an update retracts the previous row of its key and asserts the new one, a delete
 * retracts, a truncate retracts every row. Keeps the current row per key (the table's size in
 * memory — the cost of correct retractions when the source sends no "before" image, as Postgres
 * does with REPLICA IDENTITY DEFAULT), which also fills unchanged TOASTed columns. The state is
 * checkpointed with the view.
 */
export class InputTable<Row> {
  readonly #rows = new Map<string, Row>();
  readonly #schema: StandardSchemaV1<unknown, Row>;
  readonly #keyColumn: string;

  constructor(schema: StandardSchemaV1<unknown, Row>, keyColumn: string) {
    this.#schema = schema;
    this.#keyColumn = keyColumn;
  }

  get size(): number {
    return this.#rows.size;
  }

  /** Diffs for a batch of changes of this table; rejected changes are returned for the DLQ. */
  apply(
    changes: readonly { change: RowChange; columns: readonly ColumnMeta[] }[],
    out: Batch<Row>,
    rejected: RejectedChange[],
  ): void {
    for (const { change, columns } of changes) {
      try {
        this.#applyOne(change, columns, out);
      } catch (err) {
        rejected.push({ change, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  #applyOne(change: RowChange, columns: readonly ColumnMeta[], out: Batch<Row>): void {
    if (change.op === 't') {
      for (const row of this.#rows.values()) out.push([row, -1]);
      this.#rows.clear();
      return;
    }
    const image = change.op === 'd' ? change.before : change.after;
    if (image === null) throw new Error(`a '${change.op}' change without a row image`);
    const decoded = decodeRow(columns, image);
    const key = encodeCanonical(decoded[this.#keyColumn]);
    const prev = this.#rows.get(key);
    if (change.op === 'd') {
      if (prev !== undefined) out.push([prev, -1]);
      this.#rows.delete(key);
      return;
    }
    if (change.op === 'u' && change.before !== null) {
      const oldKey = encodeCanonical(decodeRow(columns, change.before)[this.#keyColumn]);
      const old = this.#rows.get(oldKey);
      if (oldKey !== key && old !== undefined) {
        out.push([old, -1]);
        this.#rows.delete(oldKey);
      }
    }
    const row = this.#validate(fillUnchanged(decoded, prev));
    if (prev !== undefined) out.push([prev, -1]);
    out.push([row, 1]);
    this.#rows.set(key, row);
  }

  #validate(value: unknown): Row {
    const result = this.#schema['~standard'].validate(value);
    if (result instanceof Promise) {
      throw new Error(
        'asynchronous schemas are not supported for tables (operators are synchronous)',
      );
    }
    if (result.issues)
      throw new Error(`row does not match the table schema: ${formatIssues(result.issues)}`);
    return result.value;
  }

  /** Deterministic state for checkpoints. */
  snapshot(): string {
    const entries = [...this.#rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return encodeCanonical(entries);
  }

  restore(text: string): void {
    this.#rows.clear();
    for (const [k, v] of decodeCanonical(text) as [string, Row][]) this.#rows.set(k, revive(v));
  }
}

/** Undo canonical wrappers: `{ $date }` → Date, `{ $bytes }` → Uint8Array, recursively. */
function revive<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(revive) as T;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && typeof o.$date === 'string') return new Date(o.$date) as T;
  if (keys.length === 1 && typeof o.$bytes === 'string') {
    return new Uint8Array(Buffer.from(o.$bytes, 'base64')) as T;
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = revive(o[k]);
  return out as T;
}

function fillUnchanged(decoded: Record<string, unknown>, prev: unknown): Record<string, unknown> {
  for (const k of Object.keys(decoded)) {
    if (decoded[k] === UNCHANGED_TOAST) {
      if (prev === undefined)
        throw new Error(
          `column "${k}" is an unchanged TOAST value with no earlier row to fill it from`,
        );
      decoded[k] = (prev as Record<string, unknown>)[k];
    }
  }
  return { ...decoded };
}
