import { UnbundledError } from '../../core/errors.ts';
import { AggregateSet, type AnyAggregate, sameRow } from '../aggregate-set.ts';
import { UnaryOperator } from '../operator.ts';
import type { Results } from '../operators/group-by.ts';
import type { Stream } from '../stream.ts';
import type { Batch, Keyed } from '../types.ts';
import type { WindowSpec } from './assigners.ts';
import { Watermark } from './watermark.ts';

/** Options of {@link window}. */
export interface WindowOptions<T, K, A> {
  /** `tumbling(size)`, `hopping(size, slide)` or `session(gap)`, in ms of event time. */
  readonly windows: WindowSpec;
  /** Event time of a row in ms (from the record, never the wall clock). */
  readonly eventTime: (row: T) => number;
  /** Per-key windows; default: one key (`null`) for all rows. */
  readonly key?: (row: T) => K;
  readonly aggregates: A;
  /** Watermark = max event time seen − this (default 0). */
  readonly outOfOrderness?: number;
  /** After a window fires, records up to this much behind its end still update it (default 0). */
  readonly allowedLateness?: number;
  /** Side stream for late records (from `graph.newSideStream()`); default: dead letters. */
  readonly late?: Stream<T>;
}

/** A window result row. */
export type WindowRow<K, A> = { key: K; start: number; end: number } & Results<A>;

type Row = Record<string, unknown>;

/** The part of a window both fixed and session windows share. */
export interface WindowState<K> {
  key: K;
  start: number;
  end: number;
  count: number;
  accs: unknown[];
  fired: boolean;
  emitted: Row | undefined;
}

/** What a window operator extracted from one row. */
export interface Extracted<K> {
  t: number;
  key: K;
}

/**
 * Shared machinery of window operators: per-row event time and key extraction, the
 * watermark, late-record routing, and emitting a fired window's result as `-old +new`.
 */
export abstract class WindowOperator<T, K> extends UnaryOperator<T, Keyed<[K, number], Row>> {
  protected readonly aggs: AggregateSet<T>;
  protected readonly watermark: Watermark;
  protected readonly lateness: number;
  readonly #eventTime: (row: T) => number;
  readonly #keyFn: ((row: T) => K) | undefined;
  readonly #late: Stream<T> | undefined;
  protected out: Batch<Keyed<[K, number], Row>> = [];
  #lateRows: Batch<T> = [];

  constructor(
    input: Stream<T>,
    name: string,
    opts: WindowOptions<T, K, Record<string, AnyAggregate<T>>>,
  ) {
    super(input, name);
    this.aggs = new AggregateSet(opts.aggregates);
    this.watermark = new Watermark(opts.outOfOrderness ?? 0);
    this.lateness = opts.allowedLateness ?? 0;
    this.#eventTime = opts.eventTime;
    this.#keyFn = opts.key;
    this.#late = opts.late;
  }

  override get stateful(): boolean {
    return true;
  }

  run(): void {
    for (const batch of this.input.drain()) {
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        const x = this.#extract(e[0], e[1]);
        if (x === undefined) continue;
        this.onRow(e[0], e[1], x);
        if (this.watermark.observe(x.t)) this.onWatermark(this.watermark.value);
      }
    }
    this.#flush();
  }

  /** Apply one row (its aggregate values are already extracted). */
  protected abstract onRow(row: T, diff: number, x: Extracted<K>): void;

  /** Fire and purge what the new watermark makes due. */
  protected abstract onWatermark(wm: number): void;

  /** Route a record no live window accepts. */
  protected lateRecord(row: T, diff: number): void {
    if (this.#late !== undefined) {
      this.#lateRows.push([row, diff]);
      return;
    }
    const wm = this.watermark.value;
    this.fail(
      row,
      diff,
      new UnbundledError(
        'DATAFLOW_LATE_RECORD',
        `record is later than the watermark (${wm}) plus allowed lateness (${this.lateness}); pass ` +
          `a late side stream, or raise outOfOrderness/allowedLateness`,
        { details: { watermark: wm } },
      ),
    );
  }

  /**
   * Emit the change of a window's visible result (nothing until it fired). Retractions use the
   * start recorded in the shown row, so a session whose start moved retracts the right key.
   */
  protected refresh(w: WindowState<K>): void {
    const next = w.fired && w.count > 0 ? this.windowRow(w) : undefined;
    if (w.emitted !== undefined && next !== undefined && sameRow(w.emitted, next)) return;
    if (w.emitted !== undefined)
      this.out.push([[[w.key, w.emitted.start as number], w.emitted], -1]);
    if (next !== undefined) this.out.push([[[w.key, w.start], next], 1]);
    w.emitted = next;
  }

  /** Retract whatever a window showed (it is being replaced by a merged one). */
  protected retract(w: WindowState<K>): void {
    if (w.emitted !== undefined)
      this.out.push([[[w.key, w.emitted.start as number], w.emitted], -1]);
    w.emitted = undefined;
  }

  protected windowRow(w: WindowState<K>): Row {
    return this.aggs.results(w.accs, { key: w.key, start: w.start, end: w.end });
  }

  /** Reused for every row (operators copy what they keep). */
  readonly #x: Extracted<K> = { t: 0, key: null as K };

  #extract(row: T, diff: number): Extracted<K> | undefined {
    try {
      const t = this.#eventTime(row);
      if (typeof t !== 'number' || !Number.isFinite(t)) {
        throw new UnbundledError(
          'DATAFLOW_BAD_EVENT_TIME',
          `eventTime returned ${String(t)}; it must return a finite number of ms (e.g. Date.parse(row.ts))`,
        );
      }
      const key = this.#keyFn === undefined ? (null as K) : this.#keyFn(row);
      this.aggs.extract(row);
      this.#x.t = t;
      this.#x.key = key;
      return this.#x;
    } catch (error) {
      this.fail(row, diff, error);
      return undefined;
    }
  }

  #flush(): void {
    const out = this.out;
    this.out = [];
    this.emit(out);
    if (this.#lateRows.length > 0) {
      const late = this.#lateRows;
      this.#lateRows = [];
      this.#late!.write(late);
    }
  }
}
