import { AggregateSet, type AnyAggregate } from '../aggregate-set.ts';
import type { AggregateResult } from '../aggregates.ts';
import { KeyMap } from '../key-map.ts';
import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch, Keyed } from '../types.ts';

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
  /** The `[key, row]` last emitted (reused for its retraction). */
  emitted: Keyed<K, Row> | undefined;
  dirty: boolean;
}

type Row = Record<string, unknown>;

/**
 * Groups rows by key and maintains aggregates; emits `-old +new` per changed group after each
 * step, and retracts a group when its last row is retracted.
 */
export class GroupByOperator<T, K> extends UnaryOperator<T, Keyed<K, Row>> {
  readonly #keyFn: (row: T) => K;
  readonly #aggs: AggregateSet<T>;
  #groups = new KeyMap<K, Group<K>>();

  constructor(input: Stream<T>, keyFn: (row: T) => K, aggregates: Record<string, AnyAggregate<T>>) {
    super(input, 'groupBy');
    this.#keyFn = keyFn;
    this.#aggs = new AggregateSet(aggregates);
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
    let g: Group<K> | undefined;
    try {
      const key = this.#keyFn(row);
      this.#aggs.extract(row);
      g = this.#groups.get(key);
      if (g === undefined) {
        g = { key, count: 0, accs: this.#aggs.init(), emitted: undefined, dirty: false };
        this.#groups.set(key, g);
      }
      this.#aggs.step(g.accs, diff);
    } catch (error) {
      if (g !== undefined && g.count === 0 && !g.dirty) this.#groups.delete(g.key);
      this.fail(row, diff, error);
      return;
    }
    g.count += diff;
    if (!g.dirty) {
      g.dirty = true;
      touched.push(g);
    }
  }

  #emitChanges(touched: Group<K>[]): void {
    const out: Batch<Keyed<K, Row>> = [];
    for (const g of touched) {
      g.dirty = false;
      const row = g.count > 0 ? this.#row(g) : undefined;
      const was = g.emitted;
      if (was !== undefined && row !== undefined && this.#aggs.sameResults(was[1], row)) continue;
      if (was !== undefined) out.push([was, -1]);
      g.emitted = row === undefined ? undefined : [g.key, row];
      if (g.emitted !== undefined) out.push([g.emitted, 1]);
      if (g.count === 0) this.#groups.delete(g.key);
    }
    this.emit(out);
  }

  #row(g: Group<K>): Row {
    const k = g.key;
    const spread = typeof k === 'object' && k !== null && !Array.isArray(k);
    return this.#aggs.results(g.accs, spread ? { ...(k as Row) } : { key: k });
  }

  override snapshot(): unknown {
    return this.#groups.sortedEntries().map(([, g]) => [g.key, g.count, this.#aggs.save(g.accs)]);
  }

  override restore(state: unknown): void {
    this.#groups.clear();
    for (const [key, count, saved] of state as [K, number, unknown[]][]) {
      const g: Group<K> = {
        key,
        count,
        accs: this.#aggs.load(saved),
        emitted: undefined,
        dirty: false,
      };
      if (count > 0) g.emitted = [key, this.#row(g)];
      this.#groups.set(key, g);
    }
  }
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
