/**
 * Incremental dataflow: collections carried as diffs (`[row, +1 | -1]`), synchronous
 * deterministic operators over batches, checkpointable state, dead letters for rows a user
 * function cannot process. See docs/dataflow-SPEC.md for the invariants and their tests.
 *
 * @example
 * const g = new DataflowGraph();
 * const orders = g.newInput<{ id: number; category: string; amount: number }>();
 * const out = collect(orders.pipe(groupBy((o) => o.category, { revenue: sum((o) => o.amount) })));
 * g.finalize();
 * orders.send([[{ id: 1, category: 'books', amount: 12 }, 1]]);
 * g.run();
 * materialize(out.drain()); // [{ key: '"books"', row: { key: 'books', revenue: 12 } }]
 */
export * from './aggregate-set.ts';
export * from './aggregates.ts';
export * from './canonical.ts';
export type * from './dead-letter.ts';
export * from './graph.ts';
export * from './hash.ts';
export * from './key-map.ts';
export * from './keyed-index.ts';
export * from './materialize.ts';
export * from './multiset.ts';
export * from './operator.ts';
export * from './operators/concat.ts';
export * from './operators/consolidate.ts';
export * from './operators/distinct.ts';
export * from './operators/filter.ts';
export * from './operators/flat-map.ts';
export * from './operators/group-by.ts';
export * from './operators/join.ts';
export * from './operators/key-by.ts';
export * from './operators/map.ts';
export * from './operators/negate.ts';
export * from './operators/output.ts';
export * from './operators/top-k.ts';
export * from './operators/upsert.ts';
export * from './row-bag.ts';
export * from './sorted-bag.ts';
export * from './stream.ts';
export type * from './types.ts';
export * from './windows/assigners.ts';
export * from './windows/fixed-window.ts';
export * from './windows/session-window.ts';
export * from './windows/window.ts';
export type { WindowOptions, WindowRow, WindowState } from './windows/window-base.ts';
export { WindowOperator } from './windows/window-base.ts';
