import { encodeCanonical } from './canonical.ts';
import type { Batch } from './types.ts';

/**
 * Merge equal rows (by canonical encoding) summing their diffs, and drop rows whose diffs sum
 * to zero. Rows keep the order of their first appearance. With `sorted`, the result is ordered
 * by the rows' canonical encoding, so equal collections give identical batches.
 *
 * @example consolidateBatch([[a, 1], [b, 1], [a, -1]]) // [[b, 1]]
 */
export function consolidateBatch<T>(batch: Batch<T>, sorted = false): Batch<T> {
  const acc = new Map<string, [T, number]>();
  for (let i = 0; i < batch.length; i++) {
    const [row, diff] = batch[i]!;
    const k = encodeCanonical(row);
    const e = acc.get(k);
    if (e === undefined) acc.set(k, [row, diff]);
    else e[1] += diff;
  }
  const keys = sorted ? [...acc.keys()].sort() : acc.keys();
  const out: Batch<T> = [];
  for (const k of keys) {
    const e = acc.get(k)!;
    if (e[1] !== 0) out.push([e[0], e[1]]);
  }
  return out;
}

/**
 * Accumulated multiset state keyed by canonical row encoding: apply batches, read the
 * collection. Used by operators and by oracles in tests.
 */
export class MultiSet<T> {
  readonly #rows = new Map<string, [T, number]>();

  /** Add `diff` copies of `row`; returns the new multiplicity. */
  add(row: T, diff: number, key = encodeCanonical(row)): number {
    const e = this.#rows.get(key);
    if (e === undefined) {
      if (diff !== 0) this.#rows.set(key, [row, diff]);
      return diff;
    }
    e[1] += diff;
    if (e[1] === 0) this.#rows.delete(key);
    return e[1];
  }

  /** Apply every entry of a batch. */
  apply(batch: Batch<T>): this {
    for (const [row, diff] of batch) this.add(row, diff);
    return this;
  }

  /** Multiplicity of a row (0 when absent). */
  count(row: T, key = encodeCanonical(row)): number {
    return this.#rows.get(key)?.[1] ?? 0;
  }

  get size(): number {
    return this.#rows.size;
  }

  /** Entries in first-insertion order. */
  entries(): IterableIterator<[T, number]> {
    return this.#rows.values();
  }

  /** Entries ordered by canonical encoding (deterministic). */
  sortedEntries(): Batch<T> {
    return [...this.#rows.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, [row, n]]) => [row, n]);
  }
}

/**
 * All entries of several batches in order, as one batch (a plain loop: `Array.prototype.flat`
 * is many times slower in V8 for this shape). Returns the only batch as is.
 */
export function concatBatches<T>(batches: Batch<T>[]): Batch<T> {
  if (batches.length === 1) return batches[0]!;
  const out: Batch<T> = [];
  for (const b of batches) for (let i = 0; i < b.length; i++) out.push(b[i]!);
  return out;
}
