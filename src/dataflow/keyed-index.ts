import { encodeCanonical, keyOf } from './canonical.ts';

/** The rows stored under one key, with multiplicities. */
export interface IndexEntry<K, V> {
  key: K;
  rows: Map<string, [V, number]>;
  total: number;
}

/**
 * State of a keyed collection: key → multiset of values. Used by join (one per side) and topK.
 * Keys and values are compared by canonical encoding.
 */
export class KeyedIndex<K, V> {
  #map = new Map<string, IndexEntry<K, V>>();

  get(ks: string): IndexEntry<K, V> | undefined {
    return this.#map.get(ks);
  }

  /** Total multiplicity under a key (0 when absent). */
  total(ks: string): number {
    return this.#map.get(ks)?.total ?? 0;
  }

  /** Add `diff` copies of `value` under `key` (whose encoding is `ks`). */
  add(key: K, ks: string, value: V, diff: number): void {
    let e = this.#map.get(ks);
    if (e === undefined) {
      e = { key, rows: new Map(), total: 0 };
      this.#map.set(ks, e);
    }
    const vs = encodeCanonical(value);
    const r = e.rows.get(vs);
    if (r === undefined) e.rows.set(vs, [value, diff]);
    else {
      r[1] += diff;
      if (r[1] === 0) e.rows.delete(vs);
    }
    e.total += diff;
    if (e.rows.size === 0) this.#map.delete(ks);
  }

  /** Deterministic plain-data form: keys sorted, values sorted by encoding. */
  snapshot(): unknown {
    const keys = [...this.#map.keys()].sort();
    return keys.map((ks) => {
      const e = this.#map.get(ks)!;
      const vals = [...e.rows.keys()].sort().map((vs) => e.rows.get(vs)!);
      return [e.key, vals];
    });
  }

  restore(state: unknown): void {
    this.#map = new Map();
    for (const [key, vals] of state as [K, [V, number][]][]) {
      const ks = keyOf(key);
      for (const [v, c] of vals) this.add(key, ks, v, c);
    }
  }
}
