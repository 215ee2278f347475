import type { AnyAggregate } from '../aggregate-set.ts';
import { keyOf } from '../canonical.ts';
import { KeyMap } from '../key-map.ts';
import type { Stream } from '../stream.ts';
import type { FixedWindows } from './assigners.ts';
import { Deadlines } from './deadlines.ts';
import {
  type Extracted,
  WindowOperator,
  type WindowOptions,
  type WindowState,
} from './window-base.ts';

/** Deterministic order of windows due at the same time: by encoded key, then start. */
function byKeyThenStart<K>(a: WindowState<K>, b: WindowState<K>): number {
  const ka = keyOf(a.key);
  const kb = keyOf(b.key);
  return ka < kb ? -1 : ka > kb ? 1 : a.start - b.start;
}

/**
 * Tumbling and hopping windows. A window fires (emits its aggregate) when the watermark
 * reaches its end; records within the allowed lateness then retract and re-emit it; at end +
 * lateness its state is dropped and later records for it go to the late output.
 */
export class FixedWindowOperator<T, K> extends WindowOperator<T, K> {
  readonly #size: number;
  readonly #slide: number;
  readonly #windows = new KeyMap<K, Map<number, WindowState<K>>>();
  readonly #fire = new Deadlines<WindowState<K>>(byKeyThenStart);
  readonly #purge = new Deadlines<WindowState<K>>(byKeyThenStart);
  readonly #applied: WindowState<K>[] = [];

  constructor(
    input: Stream<T>,
    spec: FixedWindows,
    opts: WindowOptions<T, K, Record<string, AnyAggregate<T>>>,
  ) {
    super(input, spec.size === spec.slide ? 'window.tumbling' : 'window.hopping', opts);
    this.#size = spec.size;
    this.#slide = spec.slide;
  }

  protected onRow(row: T, diff: number, x: Extracted<K>): void {
    const wm = this.watermark.value;
    const applied = this.#applied;
    applied.length = 0;
    const r = x.t % this.#slide;
    const last = x.t - (r < 0 ? r + this.#slide : r);
    let start = last;
    while (start - this.#slide > x.t - this.#size) start -= this.#slide;
    try {
      for (; start <= last; start += this.#slide) {
        const end = start + this.#size;
        if (end + this.lateness <= wm) continue;
        const w = this.#window(x.key, start, end, wm);
        this.aggs.step(w.accs, diff);
        applied.push(w);
      }
    } catch (error) {
      for (const w of applied) this.aggs.step(w.accs, -diff);
      this.fail(row, diff, error);
      return;
    }
    if (applied.length === 0) {
      this.lateRecord(row, diff);
      return;
    }
    for (const w of applied) {
      w.count += diff;
      this.refresh(w);
    }
  }

  #window(key: K, start: number, end: number, wm: number): WindowState<K> {
    let byStart = this.#windows.get(key);
    if (byStart === undefined) {
      byStart = new Map();
      this.#windows.set(key, byStart);
    }
    let w = byStart.get(start);
    if (w === undefined) {
      const fired = end <= wm;
      w = { key, start, end, count: 0, accs: this.aggs.init(), fired, emitted: undefined };
      this.#track(byStart, w);
    }
    return w;
  }

  #track(byStart: Map<number, WindowState<K>>, w: WindowState<K>): void {
    byStart.set(w.start, w);
    if (!w.fired) this.#fire.add(w.end, w);
    this.#purge.add(w.end + this.lateness, w);
  }

  protected onWatermark(wm: number): void {
    if (this.#fire.next <= wm) {
      for (const w of this.#fire.popDue(wm)) {
        if (w.fired) continue;
        w.fired = true;
        this.refresh(w);
      }
    }
    if (this.#purge.next <= wm) for (const w of this.#purge.popDue(wm)) this.#drop(w);
  }

  #drop(w: WindowState<K>): void {
    const byStart = this.#windows.get(w.key);
    if (byStart === undefined) return;
    byStart.delete(w.start);
    if (byStart.size === 0) this.#windows.delete(w.key);
  }

  override snapshot(): unknown {
    const windows: unknown[] = [];
    for (const [, byStart] of this.#windows.sortedEntries()) {
      const starts = [...byStart.keys()].sort((a, b) => a - b);
      for (const s of starts) {
        const w = byStart.get(s)!;
        windows.push([w.key, w.start, w.count, this.aggs.save(w.accs), w.fired]);
      }
    }
    return [this.watermark.maxEventTime, windows];
  }

  override restore(state: unknown): void {
    const [maxT, windows] = state as [number, [K, number, number, unknown[], boolean][]];
    this.watermark.restore(maxT);
    this.#windows.clear();
    this.#fire.clear();
    this.#purge.clear();
    for (const [key, start, count, saved, fired] of windows) {
      const end = start + this.#size;
      const accs = this.aggs.load(saved);
      const w: WindowState<K> = { key, start, end, count, accs, fired, emitted: undefined };
      if (fired && count > 0) w.emitted = this.windowRow(w);
      let byStart = this.#windows.get(key);
      if (byStart === undefined) {
        byStart = new Map();
        this.#windows.set(key, byStart);
      }
      this.#track(byStart, w);
    }
  }
}
