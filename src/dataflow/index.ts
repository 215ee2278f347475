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
export * from './aggregates.ts';
export * from './canonical.ts';
export type * from './dead-letter.ts';
export * from './graph.ts';
export * from './multiset.ts';
export * from './operator.ts';
export * from './operators/concat.ts';
export * from './operators/consolidate.ts';
export * from './operators/filter.ts';
export * from './operators/flat-map.ts';
export * from './operators/group-by.ts';
export * from './operators/key-by.ts';
export * from './operators/map.ts';
export * from './operators/negate.ts';
export * from './operators/output.ts';
export * from './sorted-bag.ts';
export * from './stream.ts';
export type * from './types.ts';
