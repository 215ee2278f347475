import { UnbundledError } from '../core/errors.ts';
import { encodeCanonical, keyOf } from './canonical.ts';
import type { Batch, Keyed } from './types.ts';

/** One write to a view store: upsert `row` under `key`, or delete the key when `row` is null. */
export interface ViewWrite<V> {
  readonly key: string;
  readonly row: V | null;
}

/**
 * Turn a batch of keyed changes (`[[key, row], diff]`, e.g. the output of one `run()`) into
 * per-key view writes, sorted by key: a key whose rows net to one row is upserted, a key left
 * with only retractions is deleted, a key whose changes cancel out is skipped. Keys are encoded
 * with `keyOf` unless `keyString` is given. Throws `DATAFLOW_DUPLICATE_KEY` when a key would
 * hold two rows (the view's key does not identify its rows).
 *
 * @example
 * materialize([[['a', { n: 1 }], -1], [['a', { n: 2 }], 1], [['b', { n: 5 }], -1]]);
 * // [{ key: '"a"', row: { n: 2 } }, { key: '"b"', row: null }]
 */
export function materialize<K, V>(
  batch: Batch<Keyed<K, V>>,
  keyString: (key: K) => string = keyOf,
): ViewWrite<V>[] {
  const perKey = new Map<string, Map<string, [V, number]>>();
  for (let i = 0; i < batch.length; i++) {
    const [[k, v], d] = batch[i]!;
    const ks = keyString(k);
    let rows = perKey.get(ks);
    if (rows === undefined) {
      rows = new Map();
      perKey.set(ks, rows);
    }
    const vs = encodeCanonical(v);
    const e = rows.get(vs);
    if (e === undefined) rows.set(vs, [v, d]);
    else e[1] += d;
  }
  const out: ViewWrite<V>[] = [];
  for (const ks of [...perKey.keys()].sort()) {
    const w = writeFor(ks, perKey.get(ks)!);
    if (w !== undefined) out.push(w);
  }
  return out;
}

function writeFor<V>(key: string, rows: Map<string, [V, number]>): ViewWrite<V> | undefined {
  let upsert: V | undefined;
  let positives = 0;
  let negatives = false;
  for (const [v, n] of rows.values()) {
    if (n > 0) {
      positives += n;
      upsert = v;
    } else if (n < 0) negatives = true;
  }
  if (positives > 1) {
    throw new UnbundledError(
      'DATAFLOW_DUPLICATE_KEY',
      `view key ${key} would hold ${positives} rows after this batch; a view's key must identify ` +
        `one row: key the collection by a unique column, or aggregate rows per key (groupBy)`,
      { details: { key } },
    );
  }
  if (positives === 1) return { key, row: upsert as V };
  return negatives ? { key, row: null } : undefined;
}
