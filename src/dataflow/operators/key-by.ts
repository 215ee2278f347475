import type { PipedOperator } from '../stream.ts';
import type { Keyed } from '../types.ts';
import { MapOperator } from './map.ts';

/**
 * Turn rows into a keyed collection `[key, row]`. Keys may be string | number | bigint or
 * tuples/objects of them (compared by `keyOf`). Joins, topK and `materialize` consume keyed
 * collections. In a partitioned runtime a keyBy that changes the key is where a repartition
 * happens (the system layer does that).
 *
 * @example orders.pipe(keyBy((o) => o.userId))
 */
export function keyBy<T, K>(keyFn: (row: T) => K): PipedOperator<T, Keyed<K, T>> {
  return (stream) => {
    const op = new MapOperator<T, Keyed<K, T>>(stream, (row) => [keyFn(row), row], 'keyBy');
    return op.output;
  };
}
