import type { Position } from '../../core/position.ts';
import type { ScanOptions, ScanPage } from '../types.ts';

/**
 * Rows of one view version in memory: a Map plus a key order built lazily when a scan follows a
 * change of the key set (writes stay O(1)). With `maxEntries`, the least recently used entries
 * are evicted (an LRU cache: evicted keys read as missing).
 */
export class OrderedTable<Row> {
  readonly #rows = new Map<string, Row>();
  readonly #maxEntries: number;
  #sorted: string[] | null = [];
  position: Position | null = null;

  constructor(maxEntries = Number.POSITIVE_INFINITY) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#rows.size;
  }

  get(key: string): Row | undefined {
    const row = this.#rows.get(key);
    if (row !== undefined && this.#maxEntries !== Number.POSITIVE_INFINITY) {
      this.#rows.delete(key);
      this.#rows.set(key, row);
    }
    return row;
  }

  set(key: string, row: Row): void {
    if (this.#maxEntries === Number.POSITIVE_INFINITY) {
      const size = this.#rows.size;
      this.#rows.set(key, row);
      if (this.#rows.size !== size) this.#sorted = null;
      return;
    }
    const had = this.#rows.delete(key);
    this.#rows.set(key, row);
    if (!had) this.#sorted = null;
    if (this.#rows.size > this.#maxEntries) this.#evictOldest();
  }

  delete(key: string): void {
    if (this.#rows.delete(key)) this.#sorted = null;
  }

  scan(opts: ScanOptions): ScanPage<Row> {
    const keys = this.#keys();
    let i = opts.cursor === undefined ? 0 : upperBound(keys, opts.cursor);
    const rows: { key: string; row: Row }[] = [];
    for (; i < keys.length && rows.length < opts.limit; i++) {
      const key = keys[i]!;
      rows.push({ key, row: this.#rows.get(key)! });
    }
    const last = rows.at(-1);
    return i < keys.length && last !== undefined ? { rows, cursor: last.key } : { rows };
  }

  #keys(): string[] {
    this.#sorted ??= [...this.#rows.keys()].sort();
    return this.#sorted;
  }

  #evictOldest(): void {
    const oldest = this.#rows.keys().next();
    if (!oldest.done) this.delete(oldest.value);
  }
}

/** Index of the first key strictly greater than `key` in sorted `keys`. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
