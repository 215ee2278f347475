import type { AnyAggregate } from '../aggregate-set.ts';
import { encodeCanonical, keyOf } from '../canonical.ts';
import type { Stream } from '../stream.ts';
import type { SessionWindows } from './assigners.ts';
import { compareStrings, Deadlines } from './deadlines.ts';
import {
  type Extracted,
  WindowOperator,
  type WindowOptions,
  type WindowState,
} from './window-base.ts';

type Event<T> = [t: number, row: T, diff: number];

interface Session<K, T> extends WindowState<K> {
  events: Event<T>[];
}

/**
 * Session windows per key: `[first, last + gap)`. An event that falls within `gap` of existing
 * sessions merges them (their shown results are retracted, the merged one shown when it fires);
 * a retraction removes its event and re-splits the session if a gap opened. Sessions keep their
 * events until purged (end + allowed lateness behind the watermark).
 */
export class SessionWindowOperator<T, K> extends WindowOperator<T, K> {
  readonly #gap: number;
  #sessions = new Map<string, Session<K, T>[]>();
  readonly #fire = new Deadlines<string>(compareStrings);
  readonly #purge = new Deadlines<string>(compareStrings);

  constructor(
    input: Stream<T>,
    spec: SessionWindows,
    opts: WindowOptions<T, K, Record<string, AnyAggregate<T>>>,
  ) {
    super(input, 'window.session', opts);
    this.#gap = spec.gap;
  }

  protected onRow(row: T, diff: number, x: Extracted<K>): void {
    const ks = keyOf(x.key);
    if (diff > 0) this.#insert(ks, row, diff, x);
    else if (diff < 0) this.#remove(ks, row, diff, x);
  }

  #insert(ks: string, row: T, diff: number, x: Extracted<K>): void {
    const wm = this.watermark.value;
    const list = this.#sessions.get(ks) ?? [];
    const end = x.t + this.#gap;
    const overlapping = list.filter((s) => s.start < end && x.t < s.end);
    if (overlapping.length === 0 && end + this.lateness <= wm) {
      this.lateRecord(row, diff);
      return;
    }
    const target = largest(overlapping) ?? this.#newSession(x.key, x.t);
    try {
      this.aggs.step(target.accs, diff);
    } catch (error) {
      this.fail(row, diff, error);
      return;
    }
    target.events.push([x.t, row, diff]);
    target.count += diff;
    target.start = Math.min(target.start, x.t);
    target.end = Math.max(target.end, end);
    for (const other of overlapping) if (other !== target) this.#absorb(target, other);
    const kept = list.filter((s) => !overlapping.includes(s));
    this.#store(ks, [...kept, target], [target], wm);
  }

  #remove(ks: string, row: T, diff: number, x: Extracted<K>): void {
    const wm = this.watermark.value;
    const list = this.#sessions.get(ks) ?? [];
    const enc = encodeCanonical(row);
    const s = list.find((c) => c.start <= x.t && x.t < c.end);
    const ev = s?.events.find(
      (e) => e[0] === x.t && e[2] >= -diff && encodeCanonical(e[1]) === enc,
    );
    if (s === undefined || ev === undefined) {
      this.lateRecord(row, diff);
      return;
    }
    ev[2] += diff;
    if (ev[2] === 0) s.events.splice(s.events.indexOf(ev), 1);
    this.retract(s);
    const pieces = this.#split(s.key, s.events);
    this.#store(ks, [...list.filter((c) => c !== s), ...pieces], pieces, wm);
  }

  /** Fold another session's events into `target` (small into large). */
  #absorb(target: Session<K, T>, other: Session<K, T>): void {
    this.retract(other);
    for (const ev of other.events) {
      this.aggs.extract(ev[1]);
      this.aggs.step(target.accs, ev[2]);
      target.events.push(ev);
      target.count += ev[2];
    }
    target.start = Math.min(target.start, other.start);
    target.end = Math.max(target.end, other.end);
  }

  /** Re-cluster events (after a removal) into sessions with fresh aggregates. */
  #split(key: K, events: Event<T>[]): Session<K, T>[] {
    const sorted = [...events].sort((a, b) => a[0] - b[0]);
    const out: Session<K, T>[] = [];
    let cur: Session<K, T> | undefined;
    for (const ev of sorted) {
      if (cur === undefined || ev[0] >= cur.end) {
        cur = this.#newSession(key, ev[0]);
        out.push(cur);
      }
      this.aggs.extract(ev[1]);
      this.aggs.step(cur.accs, ev[2]);
      cur.events.push(ev);
      cur.count += ev[2];
      cur.end = Math.max(cur.end, ev[0] + this.#gap);
    }
    return out;
  }

  /** Save a key's sessions, show the changed ones that are complete, schedule their timers. */
  #store(ks: string, list: Session<K, T>[], changed: Session<K, T>[], wm: number): void {
    list.sort((a, b) => a.start - b.start);
    this.#sessions.set(ks, list);
    for (const s of changed) {
      s.fired = s.end <= wm;
      this.refresh(s);
      if (!s.fired) this.#fire.add(s.end, ks);
      this.#purge.add(s.end + this.lateness, ks);
    }
    this.#purgeKey(ks, wm);
  }

  #newSession(key: K, t: number): Session<K, T> {
    const accs = this.aggs.init();
    return {
      key,
      start: t,
      end: t + this.#gap,
      count: 0,
      accs,
      fired: false,
      emitted: undefined,
      events: [],
    };
  }

  protected onWatermark(wm: number): void {
    if (this.#fire.next <= wm) {
      for (const ks of this.#fire.popDue(wm)) {
        for (const s of this.#sessions.get(ks) ?? []) {
          if (s.fired || s.end > wm) continue;
          s.fired = true;
          this.refresh(s);
        }
      }
    }
    if (this.#purge.next <= wm) for (const ks of this.#purge.popDue(wm)) this.#purgeKey(ks, wm);
  }

  #purgeKey(ks: string, wm: number): void {
    const list = this.#sessions.get(ks);
    if (list === undefined) return;
    const live = list.filter((s) => s.end + this.lateness > wm && s.events.length > 0);
    if (live.length === 0) this.#sessions.delete(ks);
    else if (live.length !== list.length) this.#sessions.set(ks, live);
  }

  override snapshot(): unknown {
    const keys = [...this.#sessions.keys()].sort();
    const sessions = keys.map((ks) =>
      this.#sessions
        .get(ks)!
        .map((s) => [s.key, s.start, s.end, s.count, this.aggs.save(s.accs), s.fired, s.events]),
    );
    return [this.watermark.maxEventTime, sessions];
  }

  override restore(state: unknown): void {
    type Saved = [K, number, number, number, unknown[], boolean, Event<T>[]];
    const [maxT, all] = state as [number, Saved[][]];
    this.watermark.restore(maxT);
    this.#sessions = new Map();
    this.#fire.clear();
    this.#purge.clear();
    for (const saved of all) {
      const list = saved.map(([key, start, end, count, accs, fired, events]): Session<K, T> => {
        const s = {
          key,
          start,
          end,
          count,
          accs: this.aggs.load(accs),
          fired,
          emitted: undefined,
          events,
        };
        return { ...s, emitted: fired && count > 0 ? this.windowRow(s) : undefined };
      });
      const ks = keyOf(list[0]!.key);
      this.#sessions.set(ks, list);
      for (const s of list) {
        if (!s.fired) this.#fire.add(s.end, ks);
        this.#purge.add(s.end + this.lateness, ks);
      }
    }
  }
}

function largest<S extends { events: unknown[] }>(list: S[]): S | undefined {
  let best: S | undefined;
  for (const s of list) if (best === undefined || s.events.length > best.events.length) best = s;
  return best;
}
