import { UnbundledError } from '../../core/errors.ts';

/** Fixed windows of `size` ms starting every `slide` ms (tumbling when slide = size). */
export interface FixedWindows {
  readonly kind: 'fixed';
  readonly size: number;
  readonly slide: number;
}

/** Session windows: events of a key closer than `gap` ms belong to one session. */
export interface SessionWindows {
  readonly kind: 'session';
  readonly gap: number;
}

/** How a window operator groups events in time. */
export type WindowSpec = FixedWindows | SessionWindows;

function positive(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) {
    throw new UnbundledError(
      'DATAFLOW_BAD_WINDOW',
      `${name} must be a positive number of ms, got ${v}`,
    );
  }
  return v;
}

/**
 * Non-overlapping windows `[k·size, (k+1)·size)`.
 *
 * @example window({ windows: tumbling(60_000), eventTime: (o) => o.ts, aggregates: { n: count() } })
 */
export function tumbling(size: number): FixedWindows {
  return Object.freeze({ kind: 'fixed', size: positive('size', size), slide: size });
}

/**
 * Overlapping windows of `size` ms starting every `slide` ms; an event belongs to `size/slide`
 * windows.
 *
 * @example hopping(60_000, 10_000) // one-minute windows every ten seconds
 */
export function hopping(size: number, slide: number): FixedWindows {
  positive('size', size);
  positive('slide', slide);
  return Object.freeze({ kind: 'fixed', size, slide });
}

/**
 * Per-key sessions that close after `gap` ms without events: `[first, last + gap)`.
 *
 * @example session(30 * 60_000)
 */
export function session(gap: number): SessionWindows {
  return Object.freeze({ kind: 'session', gap: positive('gap', gap) });
}

/** Starts of the fixed windows containing `t`, ascending. */
export function windowStarts(w: FixedWindows, t: number): number[] {
  const last = t - mod(t, w.slide);
  const out: number[] = [];
  for (let s = last; s > t - w.size; s -= w.slide) out.push(s);
  return out.reverse();
}

function mod(a: number, b: number): number {
  const r = a % b;
  return r < 0 ? r + b : r;
}
