import { encodeCanonical, sameCanonical } from './canonical.ts';
import { hashCanonical } from './hash.ts';

/** Up to this many distinct rows a bag is one list searched by structural equality. */
const SMALL = 16;

type Entry<V> = [V, number];

/**
 * A multiset of rows (row → count), rows compared by canonical value. Small bags (the usual
 * case: the rows under one join key) are a list searched with `sameCanonical`, which usually
 * fails on the first field; past {@link SMALL} rows the bag buckets rows by `hashCanonical`.
 * Neither mode builds strings per row.
 */
export class RowBag<V> {
  #list: Entry<V>[] | undefined = [];
  #buckets: Map<number, Entry<V>[]> | undefined;
  #size = 0;

  /** Number of distinct rows held (entries whose count is not zero). */
  get size(): number {
    return this.#size;
  }

  /** Add `diff` copies of `row` (negative removes). */
  add(row: V, diff: number): void {
    if (diff === 0) return;
    if (this.#list !== undefined) {
      this.#addTo(this.#list, row, diff);
      if (this.#list.length > SMALL) this.#grow(this.#list);
      return;
    }
    const h = hashCanonical(row);
    const bucket = this.#buckets!.get(h);
    if (bucket === undefined) {
      this.#buckets!.set(h, [[row, diff]]);
      this.#size++;
    } else {
      this.#addTo(bucket, row, diff);
      if (bucket.length === 0) this.#buckets!.delete(h);
    }
  }

  /** `[row, count]` entries. Do not mutate. */
  values(): Entry<V>[] {
    if (this.#list !== undefined) return this.#list;
    const out: Entry<V>[] = [];
    for (const b of this.#buckets!.values()) for (let i = 0; i < b.length; i++) out.push(b[i]!);
    return out;
  }

  /** Entries ordered by canonical encoding (for deterministic snapshots). */
  sorted(): Entry<V>[] {
    const enc = this.values().map((e): [string, Entry<V>] => [encodeCanonical(e[0]), e]);
    return enc.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => [e[0], e[1]]);
  }

  /** Merge into an equal entry of `list`, or append; keeps `#size` in step. */
  #addTo(list: Entry<V>[], row: V, diff: number): void {
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (!sameCanonical(e[0], row)) continue;
      e[1] += diff;
      if (e[1] === 0) {
        list[i] = list[list.length - 1]!;
        list.pop();
        this.#size--;
      }
      return;
    }
    list.push([row, diff]);
    this.#size++;
  }

  #grow(list: Entry<V>[]): void {
    const buckets = new Map<number, Entry<V>[]>();
    for (const e of list) {
      const h = hashCanonical(e[0]);
      const b = buckets.get(h);
      if (b === undefined) buckets.set(h, [e]);
      else b.push(e);
    }
    this.#buckets = buckets;
    this.#list = undefined;
  }
}
