import type { AnyAggregate } from '../aggregate-set.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Keyed } from '../types.ts';
import { FixedWindowOperator } from './fixed-window.ts';
import { SessionWindowOperator } from './session-window.ts';
import type { WindowOptions, WindowRow } from './window-base.ts';

/**
 * Event-time windows with aggregates: tumbling, hopping or session, per key. The watermark is
 * the max event time seen minus `outOfOrderness`, advanced record by record (so replaying the
 * log gives the same windows as running live, whatever the batch sizes). A window shows its
 * result once the watermark passes its end; a record within `allowedLateness` after that
 * retracts and re-emits it; later records go to `late` (or the dead letters). Output is keyed
 * by `[key, windowStart]`.
 *
 * @example
 * orders.pipe(window({
 *   windows: tumbling(60_000), eventTime: (o) => o.ts, key: (o) => o.category,
 *   aggregates: { revenue: sum((o) => o.amount) }, outOfOrderness: 5_000, allowedLateness: 60_000,
 * }))
 */
export function window<
  T,
  K = null,
  A extends Record<string, AnyAggregate<T>> = Record<string, AnyAggregate<T>>,
>(options: WindowOptions<T, K, A>): PipedOperator<T, Keyed<[K, number], WindowRow<K, A>>> {
  return (stream) => {
    const spec = options.windows;
    const op =
      spec.kind === 'session'
        ? new SessionWindowOperator<T, K>(stream, spec, options)
        : new FixedWindowOperator<T, K>(stream, spec, options);
    return op.output as unknown as Stream<Keyed<[K, number], WindowRow<K, A>>>;
  };
}
