import fc from 'fast-check';
import type { DataflowGraph } from './graph.ts';
import { consolidateBatch } from './multiset.ts';
import type { Collector } from './operators/output.ts';
import type { InputStream } from './stream.ts';
import type { Batch } from './types.ts';

/**
 * Helpers for the dataflow property tests (not exported from index.ts): random table
 * changelogs, random batch splits, and running a graph over them.
 */

/** fast-check parameters, seeded from FC_SEED when set. */
export function fcParams(numRuns: number): fc.Parameters<unknown> {
  const seed = process.env.FC_SEED;
  return seed === undefined ? { numRuns } : { numRuns, seed: Number(seed) };
}

/** One table command: upsert `row` at `id`, or delete `id` when row is null. */
export interface TableOp<R> {
  id: number;
  row: R | null;
}

/** Random commands on ids `0..ids-1`. */
export function tableOps<R>(
  row: fc.Arbitrary<R>,
  ids: number,
  max = 60,
): fc.Arbitrary<TableOp<R>[]> {
  const op = fc.record({ id: fc.nat(ids - 1), row: fc.option(row, { freq: 4 }) });
  return fc.array(op, { maxLength: max });
}

/**
 * A table's changelog: each command becomes `-old` (if the id held a row) then `+new` (if not
 * a delete). `withId` makes the row carry its id. Returns the changes and the final table.
 */
export function changelog<R, T>(
  ops: TableOp<R>[],
  withId: (id: number, row: R) => T,
): { changes: Batch<T>; table: Map<number, T> } {
  const table = new Map<number, T>();
  const changes: Batch<T> = [];
  for (const { id, row } of ops) {
    const old = table.get(id);
    if (old !== undefined) changes.push([old, -1]);
    if (row === null) table.delete(id);
    else {
      const next = withId(id, row);
      table.set(id, next);
      changes.push([next, 1]);
    }
  }
  return { changes, table };
}

/** Random cut points: split `items` into consecutive batches of random sizes. */
export const cuts = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 30 });

export function split<T>(items: T[], sizes: number[]): T[][] {
  const out: T[][] = [];
  let i = 0;
  let s = 0;
  while (i < items.length) {
    const n = sizes[s++ % sizes.length]!;
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}

/** Send each batch to `input` and run after each; return everything `out` collected. */
export function feed<T, O>(
  g: DataflowGraph,
  input: InputStream<T>,
  batches: Batch<T>[],
  out: Collector<O>,
): Batch<O> {
  for (const b of batches) {
    input.send(b);
    g.run();
  }
  return out.drain();
}

/** The collection a stream of diffs adds up to, sorted canonically. */
export function net<T>(batch: Batch<T>): Batch<T> {
  return consolidateBatch(batch, true);
}

/** A set of rows as a sorted, consolidated collection (each with multiplicity 1). */
export function asSet<T>(rows: Iterable<T>): Batch<T> {
  return net([...rows].map((r): [T, number] => [r, 1]));
}
