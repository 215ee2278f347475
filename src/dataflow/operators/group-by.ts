import type { Aggregate, AggregateResult } from '../aggregates.ts';
import { keyOf } from '../canonical.ts';
import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch, Keyed } from '../types.ts';

// biome-ignore lint/suspicious/noExplicitAny: aggregates of any accumulator type
type AnyAggregate<T> = Aggregate<T, any, unknown>;

/** The results of a map of aggregates. */
export type Results<A> = { [N in keyof A]: AggregateResult<A[N]> };

/** The output row of groupBy: an object key is spread into the row, any other key is `key`. */
export type GroupRow<K, A> = (K extends readonly unknown[]
  ? { key: K }
  : K extends Record<string, unknown>
    ? K
    : { key: K }) &
  Results<A>;

interface Group<K> {
  key: K;
  count: number;
  accs: unknown[];
  emitted: Record<string, unknown> | undefined;
  dirty: boolean;
}

/**
 * Groups rows by key and maintains aggregates; emits `-old +new` per changed group after each
 * step, and retracts a group when its last row is retracted.
 */
export class GroupByOperator<T, K> extends UnaryOperator<T, Keyed<K, Record<string, unknown>>> {
  readonly #keyFn: (row: T) => K;
  readonly #names: string[];
  readonly #aggs: AnyAggregate<T>[];
  readonly #spreadKey: (key: K) => boolean;
  #groups = new Map<string, Group<K>>();
  readonly #values: unknown[];

  constructor(input: Stream<T>, keyFn: (row: T) => K, aggregates: Record<string, AnyAggregate<T>>) {
    super(input, 'groupBy');
    this.#keyFn = keyFn;
    this.#names = Object.keys(aggregates);
    this.#aggs = this.#names.map((n) => aggregates[n]!);
    this.#values = new Array(this.#aggs.length);
    this.#spreadKey = (k) => typeof k === 'object' && k !== null && !Array.isArray(k);
  }

  override get stateful(): boolean {
    return true;
  }

  run(): void {
    const touched: Group<K>[] = [];
    for (const batch of this.input.drain()) {
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        this.#apply(e[0], e[1], touched);
      }
    }
    this.#emitChanges(touched);
  }

  #apply(row: T, diff: number, touched: Group<K>[]): void {
    let key: K;
    let ks: string;
    const aggs = this.#aggs;
    const values = this.#values;
    try {
      key = this.#keyFn(row);
      ks = keyOf(key);
      for (let j = 0; j < aggs.length; j++) values[j] = aggs[j]!.value(row);
    } catch (error) {
      this.fail(row, diff, error);
      return;
    }
    let g = this.#groups.get(ks);
    if (g === undefined) {
      g = { key, count: 0, accs: aggs.map((a) => a.init()), emitted: undefined, dirty: false };
      this.#groups.set(ks, g);
    }
    if (!this.#step(g, row, diff)) return;
    g.count += diff;
    if (!g.dirty) {
      g.dirty = true;
      touched.push(g);
    }
  }

  /** Fold one row into every aggregate; if a user reducer throws, undo the ones already done. */
  #step(g: Group<K>, row: T, diff: number): boolean {
    const aggs = this.#aggs;
    let j = 0;
    try {
      for (; j < aggs.length; j++) g.accs[j] = aggs[j]!.step(g.accs[j], this.#values[j], diff);
      return true;
    } catch (error) {
      for (let u = 0; u < j; u++) g.accs[u] = aggs[u]!.step(g.accs[u], this.#values[u], -diff);
      this.fail(row, diff, error);
      return false;
    }
  }

  #emitChanges(touched: Group<K>[]): void {
    const out: Batch<Keyed<K, Record<string, unknown>>> = [];
    for (const g of touched) {
      g.dirty = false;
      const next = g.count > 0 ? this.#row(g) : undefined;
      if (g.emitted !== undefined && next !== undefined && sameRow(g.emitted, next)) continue;
      if (g.emitted !== undefined) out.push([[g.key, g.emitted], -1]);
      if (next !== undefined) out.push([[g.key, next], 1]);
      g.emitted = next;
      if (g.count === 0) this.#groups.delete(keyOf(g.key));
    }
    this.emit(out);
  }

  #row(g: Group<K>): Record<string, unknown> {
    const row: Record<string, unknown> = this.#spreadKey(g.key)
      ? { ...(g.key as Record<string, unknown>) }
      : { key: g.key };
    for (let j = 0; j < this.#aggs.length; j++) {
      row[this.#names[j]!] = this.#aggs[j]!.result(g.accs[j]);
    }
    return row;
  }

  override snapshot(): unknown {
    const keys = [...this.#groups.keys()].sort();
    return keys.map((ks) => {
      const g = this.#groups.get(ks)!;
      return [g.key, g.count, g.accs.map((a, j) => this.#aggs[j]!.save(a))];
    });
  }

  override restore(state: unknown): void {
    this.#groups = new Map();
    for (const [key, count, saved] of state as [K, number, unknown[]][]) {
      const g: Group<K> = {
        key,
        count,
        accs: saved.map((s, j) => this.#aggs[j]!.load(s)),
        emitted: undefined,
        dirty: false,
      };
      if (count > 0) g.emitted = this.#row(g);
      this.#groups.set(keyOf(key), g);
    }
  }
}

function sameRow(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  for (const k in b) {
    const x = a[k];
    const y = b[k];
    if (!Object.is(x, y) && (typeof x !== 'object' || keyOf(x) !== keyOf(y))) return false;
  }
  return true;
}

/**
 * Group rows by `keyFn` and maintain aggregates per group, under inserts, updates and
 * deletes. Output is keyed by the group key: `[key, row]` where the row spreads an object key
 * (`{ category, revenue }`) or carries it as `key`.
 *
 * @example
 * orders.pipe(groupBy((o) => ({ category: o.category }), { revenue: sum((o) => o.amount), n: count() }))
 */
export function groupBy<T, K, A extends Record<string, AnyAggregate<T>>>(
  keyFn: (row: T) => K,
  aggregates: A,
): PipedOperator<T, Keyed<K, GroupRow<K, A>>> {
  return (stream) =>
    new GroupByOperator(stream, keyFn, aggregates).output as unknown as Stream<
      Keyed<K, GroupRow<K, A>>
    >;
}
