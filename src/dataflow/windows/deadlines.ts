/**
 * Timers keyed by time: schedule items under a time, pop every item whose time is at or below a
 * watermark, in time order then in `order` (deterministic, also after a restore). Window ends
 * sit on a grid, so few distinct times are live at once.
 */
export class Deadlines<T> {
  #times: number[] = [];
  #items = new Map<number, Set<T>>();
  readonly #order: (a: T, b: T) => number;

  constructor(order: (a: T, b: T) => number) {
    this.#order = order;
  }

  /** Schedule `item` at `time` (adding the same pair twice schedules it once). */
  add(time: number, item: T): void {
    const items = this.#items.get(time);
    if (items !== undefined) {
      items.add(item);
      return;
    }
    this.#items.set(time, new Set([item]));
    let lo = 0;
    let hi = this.#times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#times[mid]! < time) lo = mid + 1;
      else hi = mid;
    }
    this.#times.splice(lo, 0, time);
  }

  /** The earliest time, or +Infinity. */
  get next(): number {
    return this.#times.length > 0 ? this.#times[0]! : Number.POSITIVE_INFINITY;
  }

  /** Remove and return the items due at or before `watermark`: by time, then by `order`. */
  popDue(watermark: number): T[] {
    const out: T[] = [];
    while (this.#times.length > 0 && this.#times[0]! <= watermark) {
      const t = this.#times.shift()!;
      out.push(...[...this.#items.get(t)!].sort(this.#order));
      this.#items.delete(t);
    }
    return out;
  }

  clear(): void {
    this.#times = [];
    this.#items.clear();
  }
}

/** Code-unit order of strings (what `Array.prototype.sort` does by default). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
