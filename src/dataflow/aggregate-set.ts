import type { Aggregate } from './aggregates.ts';
import { keyOf } from './canonical.ts';

/** An aggregate of rows `T` with any accumulator, as groupBy and window options take them. */
// biome-ignore lint/suspicious/noExplicitAny: aggregates of any accumulator type
export type AnyAggregate<T> = Aggregate<T, any, unknown>;

/**
 * A named set of aggregates applied together (groupBy, windows). `extract` runs the user
 * value functions (may throw, before any state changes); `step` folds the extracted values in
 * and, if a custom reducer throws midway, undoes the aggregates already stepped, then rethrows.
 */
export class AggregateSet<T> {
  readonly #names: string[];
  readonly #aggs: AnyAggregate<T>[];
  readonly #values: unknown[];

  constructor(aggregates: Record<string, AnyAggregate<T>>) {
    this.#names = Object.keys(aggregates);
    this.#aggs = this.#names.map((n) => aggregates[n]!);
    this.#values = new Array(this.#aggs.length);
  }

  init(): unknown[] {
    return this.#aggs.map((a) => a.init());
  }

  /** Extract the values of `row` for the next `step` (throws if a user function does). */
  extract(row: T): void {
    const aggs = this.#aggs;
    for (let j = 0; j < aggs.length; j++) this.#values[j] = aggs[j]!.value(row);
  }

  /** Fold the extracted values into `accs` with multiplicity `diff`; all or nothing. */
  step(accs: unknown[], diff: number): void {
    const aggs = this.#aggs;
    const values = this.#values;
    let j = 0;
    try {
      for (; j < aggs.length; j++) accs[j] = aggs[j]!.step(accs[j], values[j], diff);
    } catch (error) {
      for (let u = 0; u < j; u++) accs[u] = aggs[u]!.step(accs[u], values[u], -diff);
      throw error;
    }
  }

  /** Write each aggregate's result into `row` under its name. */
  results(accs: unknown[], row: Record<string, unknown>): Record<string, unknown> {
    for (let j = 0; j < this.#aggs.length; j++)
      row[this.#names[j]!] = this.#aggs[j]!.result(accs[j]);
    return row;
  }

  /** True when two result rows hold the same aggregate results (the key fields are not compared). */
  sameResults(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
    const names = this.#names;
    for (let j = 0; j < names.length; j++) {
      const x = a[names[j]!];
      const y = b[names[j]!];
      if (!Object.is(x, y) && (typeof x !== 'object' || keyOf(x) !== keyOf(y))) return false;
    }
    return true;
  }

  save(accs: unknown[]): unknown[] {
    return accs.map((a, j) => this.#aggs[j]!.save(a));
  }

  load(saved: unknown[]): unknown[] {
    return saved.map((s, j) => this.#aggs[j]!.load(s));
  }
}

/** Shallow row equality (objects compared by canonical encoding). */
export function sameRow(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  for (const k in b) {
    const x = a[k];
    const y = b[k];
    if (!Object.is(x, y) && (typeof x !== 'object' || keyOf(x) !== keyOf(y))) return false;
  }
  return true;
}
