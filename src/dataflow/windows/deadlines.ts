/**
 * Timers keyed by time: add ids under a time, pop every id whose time is at or below a
 * watermark, in time order then id order (deterministic, also after a restore). Window ends sit on a grid, so few distinct
 * times are live at once.
 */
export class Deadlines {
  #times: number[] = [];
  #ids = new Map<number, Set<string>>();

  /** Schedule `id` at `time` (adding the same pair twice schedules it once). */
  add(time: number, id: string): void {
    const ids = this.#ids.get(time);
    if (ids !== undefined) {
      ids.add(id);
      return;
    }
    this.#ids.set(time, new Set([id]));
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

  /** Remove and return the ids due at or before `watermark`: by time, then by id. */
  popDue(watermark: number): string[] {
    const out: string[] = [];
    while (this.#times.length > 0 && this.#times[0]! <= watermark) {
      const t = this.#times.shift()!;
      out.push(...[...this.#ids.get(t)!].sort());
      this.#ids.delete(t);
    }
    return out;
  }

  clear(): void {
    this.#times = [];
    this.#ids.clear();
  }
}
