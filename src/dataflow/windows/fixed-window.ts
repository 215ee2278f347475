import type { AnyAggregate } from '../aggregate-set.ts';
import { keyOf } from '../canonical.ts';
import type { Stream } from '../stream.ts';
import { type FixedWindows, windowStarts } from './assigners.ts';
import { Deadlines } from './deadlines.ts';
import {
  type Extracted,
  WindowOperator,
  type WindowOptions,
  type WindowState,
} from './window-base.ts';

/**
 * Tumbling and hopping windows. A window fires (emits its aggregate) when the watermark
 * reaches its end; records within the allowed lateness then retract and re-emit it; at end +
 * lateness its state is dropped and later records for it go to the late output.
 */
export class FixedWindowOperator<T, K> extends WindowOperator<T, K> {
  readonly #spec: FixedWindows;
  #windows = new Map<string, WindowState<K>>();
  readonly #fire = new Deadlines();
  readonly #purge = new Deadlines();

  constructor(
    input: Stream<T>,
    spec: FixedWindows,
    opts: WindowOptions<T, K, Record<string, AnyAggregate<T>>>,
  ) {
    super(input, spec.size === spec.slide ? 'window.tumbling' : 'window.hopping', opts);
    this.#spec = spec;
  }

  protected onRow(row: T, diff: number, x: Extracted<K>): void {
    const wm = this.watermark.value;
    const ks = keyOf(x.key);
    const applied: WindowState<K>[] = [];
    try {
      for (const start of windowStarts(this.#spec, x.t)) {
        const end = start + this.#spec.size;
        if (end + this.lateness <= wm) continue;
        const w = this.#window(ks, x.key, start, end, wm);
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

  #window(ks: string, key: K, start: number, end: number, wm: number): WindowState<K> {
    const id = `${ks}@${start}`;
    let w = this.#windows.get(id);
    if (w === undefined) {
      w = {
        key,
        start,
        end,
        count: 0,
        accs: this.aggs.init(),
        fired: end <= wm,
        emitted: undefined,
      };
      this.#windows.set(id, w);
      if (!w.fired) this.#fire.add(end, id);
      this.#purge.add(end + this.lateness, id);
    }
    return w;
  }

  protected onWatermark(wm: number): void {
    if (this.#fire.next <= wm) {
      for (const id of this.#fire.popDue(wm)) {
        const w = this.#windows.get(id);
        if (w === undefined || w.fired) continue;
        w.fired = true;
        this.refresh(w);
      }
    }
    if (this.#purge.next <= wm) for (const id of this.#purge.popDue(wm)) this.#windows.delete(id);
  }

  override snapshot(): unknown {
    const ids = [...this.#windows.keys()].sort();
    const windows = ids.map((id) => {
      const w = this.#windows.get(id)!;
      return [w.key, w.start, w.count, this.aggs.save(w.accs), w.fired];
    });
    return [this.watermark.maxEventTime, windows];
  }

  override restore(state: unknown): void {
    const [maxT, windows] = state as [number, [K, number, number, unknown[], boolean][]];
    this.watermark.restore(maxT);
    this.#windows = new Map();
    this.#fire.clear();
    this.#purge.clear();
    for (const [key, start, count, saved, fired] of windows) {
      const end = start + this.#spec.size;
      const w: WindowState<K> = {
        key,
        start,
        end,
        count,
        accs: this.aggs.load(saved),
        fired,
        emitted: undefined,
      };
      if (fired && count > 0) w.emitted = this.windowRow(w);
      const id = `${keyOf(key)}@${start}`;
      this.#windows.set(id, w);
      if (!fired) this.#fire.add(end, id);
      this.#purge.add(end + this.lateness, id);
    }
  }
}
