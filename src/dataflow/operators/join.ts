import { KeyMap } from '../key-map.ts';
import { KeyedIndex } from '../keyed-index.ts';
import { concatBatches } from '../multiset.ts';
import { BinaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch, Keyed } from '../types.ts';

/** `inner`: pairs with matching keys. `left`: also left rows with no match, paired with null. */
export type JoinType = 'inner' | 'left';

type Out<K, A, B> = Keyed<K, [A, B | null]>;

/**
 * Incremental equi-join of two keyed collections, both sides changing. Per step it emits
 * ΔA⋈B_old + A_new⋈ΔB (which equals A_new⋈B_new − A_old⋈B_old), plus, for a left join, the
 * change in the null-padded rows of keys whose right side became empty or non-empty.
 */
export class JoinOperator<K, A, B> extends BinaryOperator<Keyed<K, A>, Keyed<K, B>, Out<K, A, B>> {
  readonly #type: JoinType;
  readonly #a = new KeyedIndex<K, A>();
  readonly #b = new KeyedIndex<K, B>();

  constructor(left: Stream<Keyed<K, A>>, right: Stream<Keyed<K, B>>, type: JoinType) {
    super(left, right, `join.${type}`);
    this.#type = type;
  }

  override get stateful(): boolean {
    return true;
  }

  run(): void {
    const dA = concatBatches(this.left.drain());
    const dB = concatBatches(this.right.drain());
    const out: Batch<Out<K, A, B>> = [];
    const wasEmpty = this.#type === 'left' ? this.#emptiness(dA, dB) : undefined;
    joinSide(dA, this.#b, this.#a, out, false);
    joinSide(dB, this.#a, this.#b, out, true);
    if (wasEmpty !== undefined) this.#padNulls(dA, wasEmpty, out);
    this.emit(out);
  }

  /** For every touched key: was its right side empty before this step? */
  #emptiness(dA: Batch<Keyed<K, A>>, dB: Batch<Keyed<K, B>>): KeyMap<K, [K, boolean]> {
    const was = new KeyMap<K, [K, boolean]>();
    for (const [[k]] of dA) if (was.get(k) === undefined) was.set(k, [k, this.#b.total(k) <= 0]);
    for (const [[k]] of dB) if (was.get(k) === undefined) was.set(k, [k, this.#b.total(k) <= 0]);
    return was;
  }

  /** Left join: the null-padded part is A[k]×null exactly while B[k] is empty. */
  #padNulls(
    dA: Batch<Keyed<K, A>>,
    wasEmpty: KeyMap<K, [K, boolean]>,
    out: Batch<Out<K, A, B>>,
  ): void {
    for (const [[k, a], da] of dA) if (wasEmpty.get(k)![1]) out.push([[k, [a, null]], da]);
    for (const [k, was] of wasEmpty.values()) {
      const isEmpty = this.#b.total(k) <= 0;
      if (was === isEmpty) continue;
      const ea = this.#a.get(k);
      if (ea === undefined) continue;
      const sign = isEmpty ? 1 : -1;
      for (const [a, ca] of ea.rows.values()) out.push([[ea.key, [a, null]], sign * ca]);
    }
  }

  override snapshot(): unknown {
    return [this.#a.snapshot(), this.#b.snapshot()];
  }

  override restore(state: unknown): void {
    const [a, b] = state as [unknown, unknown];
    this.#a.restore(a);
    this.#b.restore(b);
  }
}

/**
 * Join this keyed stream with another on equal keys: `[key, [left, right]]`. Both sides may
 * change (table–table); for stream–table joins make the table side a changelog (−old +new per
 * update). `left` keeps unmatched left rows as `[left, null]`, retracting them once a match
 * arrives.
 *
 * @example
 * orders.pipe(keyBy((o) => o.userId), join(users.pipe(keyBy((u) => u.id)), 'left'))
 */
export function join<K, A, B>(
  other: Stream<Keyed<K, B>>,
  type: 'left',
): PipedOperator<Keyed<K, A>, Keyed<K, [A, B | null]>>;
export function join<K, A, B>(
  other: Stream<Keyed<K, B>>,
  type?: 'inner',
): PipedOperator<Keyed<K, A>, Keyed<K, [A, B]>>;
export function join<K, A, B>(
  other: Stream<Keyed<K, B>>,
  type: JoinType = 'inner',
): PipedOperator<Keyed<K, A>, Keyed<K, [A, B | null]>> {
  return (stream) => new JoinOperator(stream, other, type).output;
}

/**
 * For each change of one side: pair it with the other side's current rows, then apply it to
 * its own side. Indexed loops, no destructuring: this is the join's hot path.
 */
function joinSide<K, X, Y, A, B>(
  delta: Batch<Keyed<K, X>>,
  other: KeyedIndex<K, Y>,
  own: KeyedIndex<K, X>,
  out: Batch<Out<K, A, B>>,
  xIsRight: boolean,
): void {
  for (let i = 0; i < delta.length; i++) {
    const e = delta[i]!;
    const k = e[0][0];
    const x = e[0][1];
    const d = e[1];
    const match = other.get(k);
    if (match !== undefined) {
      for (const m of match.rows.values()) {
        const pair = (xIsRight ? [m[0], x] : [x, m[0]]) as unknown as [A, B];
        out.push([[k, pair], d * m[1]]);
      }
    }
    own.add(k, x, d);
  }
}
