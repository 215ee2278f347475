import { keyOf } from '../canonical.ts';
import { KeyedIndex } from '../keyed-index.ts';
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
    const dA = this.#keyed(this.left.drain().flat());
    const dB = this.#keyed(this.right.drain().flat());
    const out: Batch<Out<K, A, B>> = [];
    const wasEmpty = this.#type === 'left' ? this.#emptiness(dA, dB) : undefined;
    for (const [k, ks, a, da] of dA) {
      const eb = this.#b.get(ks);
      if (eb !== undefined)
        for (const [b, cb] of eb.rows.values()) out.push([[k, [a, b]], da * cb]);
      this.#a.add(k, ks, a, da);
    }
    for (const [k, ks, b, db] of dB) {
      const ea = this.#a.get(ks);
      if (ea !== undefined)
        for (const [a, ca] of ea.rows.values()) out.push([[k, [a, b]], ca * db]);
      this.#b.add(k, ks, b, db);
    }
    if (wasEmpty !== undefined) this.#padNulls(dA, wasEmpty, out);
    this.emit(out);
  }

  /** Encode keys once; a throwing key encoding goes to the dead letters. */
  #keyed<V>(batch: Batch<Keyed<K, V>>): [K, string, V, number][] {
    const out: [K, string, V, number][] = [];
    for (let i = 0; i < batch.length; i++) {
      const [[k, v], d] = batch[i]!;
      try {
        out.push([k, keyOf(k), v, d]);
      } catch (error) {
        this.fail([k, v], d, error);
      }
    }
    return out;
  }

  /** For every touched key: was its right side empty before this step? */
  #emptiness(dA: [K, string, A, number][], dB: [K, string, B, number][]): Map<string, boolean> {
    const was = new Map<string, boolean>();
    for (const e of dA) if (!was.has(e[1])) was.set(e[1], this.#b.total(e[1]) <= 0);
    for (const e of dB) if (!was.has(e[1])) was.set(e[1], this.#b.total(e[1]) <= 0);
    return was;
  }

  /** Left join: the null-padded part is A[k]×null exactly while B[k] is empty. */
  #padNulls(
    dA: [K, string, A, number][],
    wasEmpty: Map<string, boolean>,
    out: Batch<Out<K, A, B>>,
  ): void {
    for (const [k, ks, a, da] of dA) if (wasEmpty.get(ks)) out.push([[k, [a, null]], da]);
    for (const [ks, was] of wasEmpty) {
      const isEmpty = this.#b.total(ks) <= 0;
      if (was === isEmpty) continue;
      const ea = this.#a.get(ks);
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
