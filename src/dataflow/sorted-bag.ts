import { encodeCanonical } from './canonical.ts';

/** A total order on values. */
export type Comparator<V> = (a: V, b: V) => number;

/**
 * Orders numbers, strings, bigints and booleans with `<` (use with one type per column); null
 * and undefined sort first.
 */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * A multiset kept sorted: values with counts, in comparator order. With `distinctByEncoding`,
 * values the comparator calls equal but whose canonical encodings differ are kept apart and
 * ordered by encoding (a deterministic tie-break for topK); otherwise comparator-equal values
 * share one entry (min/max). Insert/remove: O(log n) search + an array splice.
 */
export class SortedBag<V> {
  #values: V[] = [];
  #keys: string[] = [];
  #counts: number[] = [];
  readonly #cmp: Comparator<V>;
  readonly #byEncoding: boolean;

  constructor(cmp: Comparator<V>, distinctByEncoding = false) {
    this.#cmp = cmp;
    this.#byEncoding = distinctByEncoding;
  }

  /** Number of distinct entries (including any with a non-positive count). */
  get distinct(): number {
    return this.#values.length;
  }

  /** Add `diff` copies of `value` (negative removes). */
  add(value: V, diff: number): void {
    const key = this.#byEncoding ? encodeCanonical(value) : '';
    const at = this.#search(value, key);
    if (at >= 0) {
      const i = at;
      const c = this.#counts[i]! + diff;
      if (c === 0) this.#removeAt(i);
      else this.#counts[i] = c;
    } else if (diff !== 0) {
      const i = -at - 1;
      this.#values.splice(i, 0, value);
      this.#keys.splice(i, 0, key);
      this.#counts.splice(i, 0, diff);
    }
  }

  /** Smallest value with a positive count, or undefined. */
  first(): V | undefined {
    for (let i = 0; i < this.#values.length; i++) if (this.#counts[i]! > 0) return this.#values[i];
    return undefined;
  }

  /** Largest value with a positive count, or undefined. */
  last(): V | undefined {
    for (let i = this.#values.length - 1; i >= 0; i--) {
      if (this.#counts[i]! > 0) return this.#values[i];
    }
    return undefined;
  }

  /** The first `limit` copies after skipping `offset` copies, as `[value, copies]` (ascending). */
  range(offset: number, limit: number): [V, number][] {
    const out: [V, number][] = [];
    let skip = offset;
    let left = limit;
    for (let i = 0; i < this.#values.length && left > 0; i++) {
      let c = this.#counts[i]!;
      if (c <= 0) continue;
      const s = Math.min(skip, c);
      skip -= s;
      c -= s;
      const take = Math.min(c, left);
      if (take > 0) out.push([this.#values[i]!, take]);
      left -= take;
    }
    return out;
  }

  /** `[value, count]` pairs in order (for snapshots). */
  toArray(): [V, number][] {
    return this.#values.map((v, i) => [v, this.#counts[i]!]);
  }

  /** Rebuild from `toArray()` output. */
  static from<V>(
    pairs: [V, number][],
    cmp: Comparator<V>,
    distinctByEncoding = false,
  ): SortedBag<V> {
    const bag = new SortedBag<V>(cmp, distinctByEncoding);
    for (const [v, c] of pairs) bag.add(v, c);
    return bag;
  }

  /** Index of the entry (>= 0), or -(insertion point) - 1 when absent. */
  #search(value: V, key: string): number {
    let lo = 0;
    let hi = this.#values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      let c = this.#cmp(this.#values[mid]!, value);
      if (c === 0 && this.#byEncoding) {
        const k = this.#keys[mid]!;
        c = k < key ? -1 : k > key ? 1 : 0;
      }
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    return -lo - 1;
  }

  #removeAt(i: number): void {
    this.#values.splice(i, 1);
    this.#keys.splice(i, 1);
    this.#counts.splice(i, 1);
  }
}
