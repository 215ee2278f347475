import { encodeCanonical, sameCanonical } from './canonical.ts';

/** Up to this many distinct rows a bag is a list searched by structural equality. */
const SMALL = 16;

/**
 * A multiset of rows (row → count), rows compared by canonical value. Small bags (the usual
 * case: the rows under one join key) are a list searched with `sameCanonical`, which usually
 * fails on the first field, so inserts build no strings; past {@link SMALL} rows the bag
 * switches to a Map keyed by canonical encoding.
 */
export class RowBag<V> {
  #list: [V, number][] | undefined = [];
  #map: Map<string, [V, number]> | undefined;

  /** Number of distinct rows held (entries whose count is not zero). */
  get size(): number {
    return this.#list?.length ?? this.#map!.size;
  }

  /** Add `diff` copies of `row` (negative removes). */
  add(row: V, diff: number): void {
    if (this.#list !== undefined) this.#addSmall(this.#list, row, diff);
    else this.#addLarge(this.#map!, encodeCanonical(row), row, diff);
  }

  /** `[row, count]` entries (insertion order). Do not mutate. */
  values(): Iterable<[V, number]> {
    return this.#list ?? this.#map!.values();
  }

  /** Entries ordered by canonical encoding (for deterministic snapshots). */
  sorted(): [V, number][] {
    const enc = [...this.values()].map((e): [string, [V, number]] => [encodeCanonical(e[0]), e]);
    return enc.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => [e[0], e[1]]);
  }

  #addSmall(list: [V, number][], row: V, diff: number): void {
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      if (!sameCanonical(e[0], row)) continue;
      e[1] += diff;
      if (e[1] === 0) {
        list[i] = list[list.length - 1]!;
        list.pop();
      }
      return;
    }
    if (diff === 0) return;
    list.push([row, diff]);
    if (list.length > SMALL) {
      this.#map = new Map(list.map((e) => [encodeCanonical(e[0]), e]));
      this.#list = undefined;
    }
  }

  #addLarge(map: Map<string, [V, number]>, key: string, row: V, diff: number): void {
    const e = map.get(key);
    if (e === undefined) {
      if (diff !== 0) map.set(key, [row, diff]);
      return;
    }
    e[1] += diff;
    if (e[1] === 0) map.delete(key);
  }
}
