import { encodeCanonical, keyOf } from '../canonical.ts';
import { UnaryOperator } from '../operator.ts';
import { type Comparator, SortedBag } from '../sorted-bag.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch, Keyed } from '../types.ts';

/** Options of {@link topK}. */
export interface TopKOptions<V> {
  /** Order of values; the first `limit` (after `offset`) are kept. Must be pure. */
  readonly compare: Comparator<V>;
  readonly limit: number;
  readonly offset?: number;
}

interface Group<K, V> {
  key: K;
  bag: SortedBag<V>;
}

/**
 * Keeps the first `limit` values per key in comparator order, under insertions and
 * retractions. Ties are broken by canonical encoding, so the result does not depend on arrival
 * order. Each step emits the difference between a touched group's old and new top rows.
 */
export class TopKOperator<K, V> extends UnaryOperator<Keyed<K, V>, Keyed<K, V>> {
  readonly #opts: Required<TopKOptions<V>>;
  #groups = new Map<string, Group<K, V>>();

  constructor(input: Stream<Keyed<K, V>>, opts: TopKOptions<V>) {
    super(input, 'topK');
    this.#opts = { offset: 0, ...opts };
  }

  override get stateful(): boolean {
    return true;
  }

  run(): void {
    const before = new Map<string, [K, V, number][]>();
    for (const batch of this.input.drain()) {
      for (let i = 0; i < batch.length; i++) {
        const [[k, v], diff] = batch[i]!;
        try {
          this.#apply(k, v, diff, before);
        } catch (error) {
          this.fail([k, v], diff, error);
        }
      }
    }
    this.emit(this.#changes(before));
  }

  #apply(k: K, v: V, diff: number, before: Map<string, [K, V, number][]>): void {
    const ks = keyOf(k);
    let g = this.#groups.get(ks);
    if (g === undefined) {
      g = { key: k, bag: new SortedBag<V>(this.#opts.compare, true) };
      this.#groups.set(ks, g);
    }
    if (!before.has(ks)) before.set(ks, this.#top(g));
    g.bag.add(v, diff);
  }

  #top(g: Group<K, V>): [K, V, number][] {
    return g.bag.range(this.#opts.offset, this.#opts.limit).map(([v, n]) => [g.key, v, n]);
  }

  #changes(before: Map<string, [K, V, number][]>): Batch<Keyed<K, V>> {
    const out: Batch<Keyed<K, V>> = [];
    for (const [ks, old] of before) {
      const g = this.#groups.get(ks)!;
      const delta = new Map<string, [K, V, number]>();
      for (const [k, v, n] of old) delta.set(encodeCanonical(v), [k, v, -n]);
      for (const [k, v, n] of this.#top(g)) {
        const vs = encodeCanonical(v);
        const d = delta.get(vs);
        if (d === undefined) delta.set(vs, [k, v, n]);
        else d[2] += n;
      }
      for (const [k, v, n] of delta.values()) if (n !== 0) out.push([[k, v], n]);
      if (g.bag.distinct === 0) this.#groups.delete(ks);
    }
    return out;
  }

  override snapshot(): unknown {
    return [...this.#groups.keys()].sort().map((ks) => {
      const g = this.#groups.get(ks)!;
      return [g.key, g.bag.toArray()];
    });
  }

  override restore(state: unknown): void {
    this.#groups = new Map();
    for (const [key, pairs] of state as [K, [V, number][]][]) {
      this.#groups.set(keyOf(key), { key, bag: SortedBag.from(pairs, this.#opts.compare, true) });
    }
  }
}

/**
 * Top `limit` values per key of a keyed stream, maintained under updates and deletes (a
 * retracted top row is replaced by the next one). For a global top-K, key everything alike:
 * `keyBy(() => 'all')`.
 *
 * @example
 * sales.pipe(keyBy((s) => s.category), topK({ limit: 3, compare: (a, b) => b.revenue - a.revenue }))
 */
export function topK<K, V>(options: TopKOptions<V>): PipedOperator<Keyed<K, V>, Keyed<K, V>> {
  return (stream) => new TopKOperator(stream, options).output;
}
