/**
 * One change to a collection: a row and its multiplicity change (`+1` insert, `-1` retraction;
 * larger magnitudes are multiplicities). An update is `[before, -1]` followed by `[after, +1]`.
 */
export type Entry<T> = [row: T, diff: number];

/** A batch of changes. Operators never mutate a batch they received. */
export type Batch<T> = Entry<T>[];

/** A row of a keyed collection: `[key, value]`. */
export type Keyed<K, V> = [key: K, value: V];

/** Key values operators accept: strings, numbers, bigints, or arrays/objects of them. */
export type KeyValue = string | number | bigint | boolean | null | readonly unknown[] | object;
