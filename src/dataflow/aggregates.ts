import { compareValues, SortedBag } from './sorted-bag.ts';

/**
 * An aggregate over the rows of a group, maintained under insertions and retractions.
 * `value` extracts what the aggregate needs from a row (user code, may throw); `step` folds
 * it in with a signed multiplicity; `save`/`load` turn the accumulator into plain data for
 * snapshots. Make one with count/sum/min/max/avg or {@link reducer}.
 */
export interface Aggregate<T, A, R> {
  readonly kind: string;
  init(): A;
  value(row: T): unknown;
  step(acc: A, value: unknown, diff: number): A;
  result(acc: A): R;
  save(acc: A): unknown;
  load(saved: unknown): A;
}

/** The result type of an aggregate. */
export type AggregateResult<G> = G extends Aggregate<never, never, infer R> ? R : never;

const identity = <X>(x: X): X => x;

/**
 * Number of rows in the group (sum of multiplicities).
 *
 * @example groupBy((o) => o.userId, { orders: count() })
 */
export function count<T = unknown>(): Aggregate<T, number, number> {
  return {
    kind: 'count',
    init: () => 0,
    value: () => 1,
    step: (acc, _v, diff) => acc + diff,
    result: identity,
    save: identity,
    load: (s) => s as number,
  };
}

/**
 * Sum of `fn(row)`; `null`/`undefined` values count as 0. Exact for integers below 2^53; for
 * floats the result is deterministic for a given input order.
 *
 * @example groupBy((o) => o.category, { revenue: sum((o) => o.amount) })
 */
export function sum<T>(fn: (row: T) => number | null | undefined): Aggregate<T, number, number> {
  return {
    kind: 'sum',
    init: () => 0,
    value: fn,
    step: (acc, v, diff) => (v == null ? acc : acc + (v as number) * diff),
    result: identity,
    save: identity,
    load: (s) => s as number,
  };
}

/**
 * Mean of the non-null `fn(row)` values, or null when there are none.
 *
 * @example groupBy((o) => o.category, { avgAmount: avg((o) => o.amount) })
 */
export function avg<T>(
  fn: (row: T) => number | null | undefined,
): Aggregate<T, [number, number], number | null> {
  return {
    kind: 'avg',
    init: () => [0, 0],
    value: fn,
    step: (acc, v, diff) => {
      if (v != null) {
        acc[0] += (v as number) * diff;
        acc[1] += diff;
      }
      return acc;
    },
    result: (acc) => (acc[1] === 0 ? null : acc[0] / acc[1]),
    save: (acc) => [acc[0], acc[1]],
    load: (s) => [...(s as [number, number])],
  };
}

type Ordered = number | string | bigint | boolean;

function extreme<T, V extends Ordered>(kind: 'min' | 'max', fn: (row: T) => V | null | undefined) {
  const agg: Aggregate<T, SortedBag<V>, V | null> = {
    kind,
    init: () => new SortedBag<V>(compareValues),
    value: fn,
    step: (acc, v, diff) => {
      if (v != null) acc.add(v as V, diff);
      return acc;
    },
    result: (acc) => (kind === 'min' ? acc.first() : acc.last()) ?? null,
    save: (acc) => acc.toArray(),
    load: (s) => SortedBag.from(s as [V, number][], compareValues),
  };
  return agg;
}

/**
 * Smallest non-null `fn(row)`, or null. Keeps a sorted multiset per group so that retracting the
 * current minimum reveals the next one.
 *
 * @example groupBy((o) => o.userId, { firstOrder: min((o) => o.createdAt) })
 */
export function min<T, V extends Ordered>(
  fn: (row: T) => V | null | undefined,
): Aggregate<T, SortedBag<V>, V | null> {
  return extreme('min', fn);
}

/**
 * Largest non-null `fn(row)`, or null. Keeps a sorted multiset per group (see {@link min}).
 *
 * @example groupBy((o) => o.userId, { lastOrder: max((o) => o.createdAt) })
 */
export function max<T, V extends Ordered>(
  fn: (row: T) => V | null | undefined,
): Aggregate<T, SortedBag<V>, V | null> {
  return extreme('max', fn);
}

/** A user-defined aggregate: `remove` must undo `add`. The accumulator must be plain data. */
export interface ReducerSpec<T, A, R> {
  init(): A;
  add(acc: A, row: T): A;
  remove(acc: A, row: T): A;
  result(acc: A): R;
}

/**
 * A custom aggregate from `{ init, add, remove, result }`. `add`/`remove` are called once per
 * unit of multiplicity; they should return a new accumulator (or the mutated one). The
 * accumulator must be plain data (it is snapshotted).
 *
 * @example
 * const distinctUsers = reducer({
 *   init: () => ({} as Record<string, number>),
 *   add: (a, o: { user: string }) => ({ ...a, [o.user]: (a[o.user] ?? 0) + 1 }),
 *   remove: (a, o) => { const n = { ...a }; if (--n[o.user]! === 0) delete n[o.user]; return n; },
 *   result: (a) => Object.keys(a).length,
 * });
 */
export function reducer<T, A, R>(spec: ReducerSpec<T, A, R>): Aggregate<T, A, R> {
  return {
    kind: 'reducer',
    init: spec.init,
    value: identity,
    step: (acc, row, diff) => {
      let a = acc;
      for (let i = 0; i < diff; i++) a = spec.add(a, row as T);
      for (let i = 0; i > diff; i--) a = spec.remove(a, row as T);
      return a;
    },
    result: spec.result,
    save: identity,
    load: (s) => s as A,
  };
}
