import { KeyMap } from './key-map.ts';
import { RowBag } from './row-bag.ts';

/** The rows stored under one key, with multiplicities. */
export interface IndexEntry<K, V> {
  key: K;
  rows: RowBag<V>;
  total: number;
}

/**
 * State of a keyed collection: key → multiset of values. Used by join (one per side). Keys are
 * compared like {@link KeyMap} does, values by canonical value.
 */
export class KeyedIndex<K, V> {
  readonly #map = new KeyMap<K, IndexEntry<K, V>>();

  get(key: K): IndexEntry<K, V> | undefined {
    return this.#map.get(key);
  }

  /** Total multiplicity under a key (0 when absent). */
  total(key: K): number {
    return this.#map.get(key)?.total ?? 0;
  }

  /** Add `diff` copies of `value` under `key`. */
  add(key: K, value: V, diff: number): void {
    let e = this.#map.get(key);
    if (e === undefined) {
      e = { key, rows: new RowBag(), total: 0 };
      this.#map.set(key, e);
    }
    e.rows.add(value, diff);
    e.total += diff;
    if (e.rows.size === 0) this.#map.delete(key);
  }

  /** Deterministic plain-data form: keys sorted, values sorted by encoding. */
  snapshot(): unknown {
    return this.#map.sortedEntries().map(([, e]) => [e.key, e.rows.sorted()]);
  }

  restore(state: unknown): void {
    this.#map.clear();
    for (const [key, vals] of state as [K, [V, number][]][]) {
      for (const [v, c] of vals) this.add(key, v, c);
    }
  }
}
