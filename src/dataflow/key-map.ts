import { keyOf } from './canonical.ts';

/**
 * A Map keyed by key values: primitives (string, number, bigint, boolean, null) are used as
 * Map keys directly (no encoding; `Map` already tells `'1'` from `1` and `1n`), while arrays and
 * objects are keyed by their canonical encoding in a second Map, so the two never collide.
 * This keeps `JSON`-style encoding off the hot path for the common scalar keys.
 */
export class KeyMap<K, V> {
  readonly #prim = new Map<unknown, V>();
  readonly #obj = new Map<string, V>();

  get(key: K): V | undefined {
    return typeof key === 'object' && key !== null
      ? this.#obj.get(keyOf(key))
      : this.#prim.get(key);
  }

  set(key: K, value: V): void {
    if (typeof key === 'object' && key !== null) this.#obj.set(keyOf(key), value);
    else this.#prim.set(key, value);
  }

  delete(key: K): void {
    if (typeof key === 'object' && key !== null) this.#obj.delete(keyOf(key));
    else this.#prim.delete(key);
  }

  get size(): number {
    return this.#prim.size + this.#obj.size;
  }

  clear(): void {
    this.#prim.clear();
    this.#obj.clear();
  }

  /** Values in insertion order (primitive keys first). */
  *values(): IterableIterator<V> {
    yield* this.#prim.values();
    yield* this.#obj.values();
  }

  /** `[keyOf(key), value]` pairs sorted by encoded key: a deterministic order for snapshots. */
  sortedEntries(): [string, V][] {
    const out: [string, V][] = [];
    for (const [k, v] of this.#prim) out.push([keyOf(k), v]);
    for (const e of this.#obj) out.push(e);
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
