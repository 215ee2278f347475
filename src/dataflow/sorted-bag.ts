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

/** Entries per chunk before it splits: small enough that shifting inside a chunk is cheap. */
const CHUNK = 256;

interface Chunk<V> {
  values: V[];
  keys: string[];
  counts: number[];
}

/**
 * A multiset kept sorted: values with counts, in comparator order. With `distinctByEncoding`,
 * values the comparator calls equal but whose canonical encodings differ are kept apart and
 * ordered by encoding (a deterministic tie-break for topK); otherwise comparator-equal values
 * share one entry (min/max). Stored as a list of sorted chunks (like a one-level B-tree), so an
 * insert or removal costs a binary search plus a shift inside one chunk.
 */
export class SortedBag<V> {
  #chunks: Chunk<V>[] = [];
  #size = 0;
  readonly #cmp: Comparator<V>;
  readonly #byEncoding: boolean;

  constructor(cmp: Comparator<V>, distinctByEncoding = false) {
    this.#cmp = cmp;
    this.#byEncoding = distinctByEncoding;
  }

  /** Number of distinct entries (including any with a non-positive count). */
  get distinct(): number {
    return this.#size;
  }

  /** Add `diff` copies of `value` (negative removes). */
  add(value: V, diff: number): void {
    if (diff === 0) return;
    const key = this.#byEncoding ? encodeCanonical(value) : '';
    if (this.#chunks.length === 0) {
      this.#chunks.push({ values: [value], keys: [key], counts: [diff] });
      this.#size = 1;
      return;
    }
    const ci = this.#chunkFor(value, key);
    const c = this.#chunks[ci]!;
    const at = this.#search(c, value, key);
    if (at >= 0) {
      const n = c.counts[at]! + diff;
      if (n === 0) this.#removeAt(ci, at);
      else c.counts[at] = n;
    } else this.#insertAt(ci, -at - 1, value, key, diff);
  }

  /** Smallest value with a positive count, or undefined. */
  first(): V | undefined {
    for (const c of this.#chunks) {
      for (let i = 0; i < c.values.length; i++) if (c.counts[i]! > 0) return c.values[i];
    }
    return undefined;
  }

  /** Largest value with a positive count, or undefined. */
  last(): V | undefined {
    for (let k = this.#chunks.length - 1; k >= 0; k--) {
      const c = this.#chunks[k]!;
      for (let i = c.values.length - 1; i >= 0; i--) if (c.counts[i]! > 0) return c.values[i];
    }
    return undefined;
  }

  /** The first `limit` copies after skipping `offset` copies, as `[value, copies]` (ascending). */
  range(offset: number, limit: number): [V, number][] {
    const out: [V, number][] = [];
    let skip = offset;
    let left = limit;
    for (const c of this.#chunks) {
      for (let i = 0; i < c.values.length && left > 0; i++) {
        let n = c.counts[i]!;
        if (n <= 0) continue;
        const s = Math.min(skip, n);
        skip -= s;
        n -= s;
        const take = Math.min(n, left);
        if (take > 0) out.push([c.values[i]!, take]);
        left -= take;
      }
      if (left <= 0) break;
    }
    return out;
  }

  /** `[value, count]` pairs in order (for snapshots). */
  toArray(): [V, number][] {
    const out: [V, number][] = [];
    for (const c of this.#chunks)
      for (let i = 0; i < c.values.length; i++) out.push([c.values[i]!, c.counts[i]!]);
    return out;
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

  #compare(a: V, aKey: string, b: V, bKey: string): number {
    const c = this.#cmp(a, b);
    if (c !== 0 || !this.#byEncoding) return c;
    return aKey < bKey ? -1 : aKey > bKey ? 1 : 0;
  }

  /** The chunk whose range holds `value`: the first whose last entry is >= it, else the last. */
  #chunkFor(value: V, key: string): number {
    let lo = 0;
    let hi = this.#chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.#chunks[mid]!;
      const end = c.values.length - 1;
      if (this.#compare(c.values[end]!, c.keys[end]!, value, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the entry (>= 0), or -(insertion point) - 1 when absent. */
  #search(c: Chunk<V>, value: V, key: string): number {
    let lo = 0;
    let hi = c.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const d = this.#compare(c.values[mid]!, c.keys[mid]!, value, key);
      if (d === 0) return mid;
      if (d < 0) lo = mid + 1;
      else hi = mid;
    }
    return -lo - 1;
  }

  #insertAt(ci: number, i: number, value: V, key: string, count: number): void {
    const c = this.#chunks[ci]!;
    insert(c.values, i, value);
    insert(c.keys, i, key);
    insert(c.counts, i, count);
    this.#size++;
    if (c.values.length > CHUNK) {
      const h = c.values.length >>> 1;
      const right = { values: c.values.slice(h), keys: c.keys.slice(h), counts: c.counts.slice(h) };
      c.values.length = h;
      c.keys.length = h;
      c.counts.length = h;
      this.#chunks.splice(ci + 1, 0, right);
    }
  }

  #removeAt(ci: number, i: number): void {
    const c = this.#chunks[ci]!;
    remove(c.values, i);
    remove(c.keys, i);
    remove(c.counts, i);
    this.#size--;
    if (c.values.length === 0) this.#chunks.splice(ci, 1);
  }
}

function insert<X>(a: X[], i: number, x: X): void {
  for (let j = a.length; j > i; j--) a[j] = a[j - 1]!;
  a[i] = x;
}

function remove<X>(a: X[], i: number): void {
  for (let j = i; j < a.length - 1; j++) a[j] = a[j + 1]!;
  a.length--;
}
