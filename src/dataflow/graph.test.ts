import { describe, expect, it } from 'vitest';
import { isUnbundledError } from '../core/errors.ts';
import {
  collect,
  consolidateBatch,
  count,
  DataflowGraph,
  filter,
  groupBy,
  map,
  sum,
} from './index.ts';

interface Order {
  id: number;
  cat: string;
  amount: number;
}

function pipeline() {
  const g = new DataflowGraph();
  const input = g.newInput<Order>();
  const out = collect(
    input.pipe(
      filter((o) => o.amount > 0),
      map((o) => ({ ...o, amount: o.amount * 2 })),
      groupBy((o) => o.cat, { total: sum((o) => o.amount), n: count() }),
    ),
  );
  g.finalize();
  return { g, input, out };
}

describe('DataflowGraph', () => {
  it('runs filter → map → groupBy and emits -old +new per changed group', () => {
    const { g, input, out } = pipeline();
    input.send([
      [{ id: 1, cat: 'a', amount: 5 }, 1],
      [{ id: 2, cat: 'a', amount: 0 }, 1],
      [{ id: 3, cat: 'b', amount: 1 }, 1],
    ]);
    g.run();
    expect(out.drain()).toEqual([
      [['a', { key: 'a', total: 10, n: 1 }], 1],
      [['b', { key: 'b', total: 2, n: 1 }], 1],
    ]);
    // update id 1 (−before +after) and delete id 3
    input.send([
      [{ id: 1, cat: 'a', amount: 5 }, -1],
      [{ id: 1, cat: 'a', amount: 7 }, 1],
      [{ id: 3, cat: 'b', amount: 1 }, -1],
    ]);
    g.run();
    expect(out.drain()).toEqual([
      [['a', { key: 'a', total: 10, n: 1 }], -1],
      [['a', { key: 'a', total: 14, n: 1 }], 1],
      [['b', { key: 'b', total: 2, n: 1 }], -1],
    ]);
    expect(g.hasPendingWork()).toBe(false);
  });

  it('routes a throwing row to dead letters and keeps going', () => {
    const g = new DataflowGraph();
    const input = g.newInput<number>();
    const out = collect(
      input.pipe(
        map((n) => {
          if (n === 2) throw new Error('boom');
          return n * 10;
        }),
      ),
    );
    g.finalize();
    input.send(
      [
        [1, 1],
        [2, 1],
        [3, 1],
      ],
      { 't/0': 7 },
    );
    g.run();
    expect(out.drain()).toEqual([
      [10, 1],
      [30, 1],
    ]);
    const dl = g.deadLetters();
    expect(dl).toHaveLength(1);
    expect(dl[0]).toMatchObject({ row: 2, diff: 1, operator: 'map#0', position: { 't/0': 7 } });
    expect((dl[0]!.error as Error).message).toBe('boom');
    expect(g.deadLetters()).toEqual([]);
  });

  it('rolls back partial aggregate state when a custom reducer throws', async () => {
    const { reducer } = await import('./index.ts');
    const g = new DataflowGraph();
    const input = g.newInput<number>();
    const bad = reducer<number, number, number>({
      init: () => 0,
      add: (a, n) => {
        if (n < 0) throw new Error('negative');
        return a + n;
      },
      remove: (a, n) => a - n,
      result: (a) => a,
    });
    const out = collect(input.pipe(groupBy(() => 'all', { n: count(), s: bad })));
    g.finalize();
    input.send([
      [1, 1],
      [-5, 1],
      [2, 1],
    ]);
    g.run();
    expect(out.drain()).toEqual([[['all', { key: 'all', n: 2, s: 3 }], 1]]);
    expect(g.deadLetters().map((d) => d.row)).toEqual([-5]);
  });

  it('refuses to build after finalize and to run before it', () => {
    const g = new DataflowGraph();
    const input = g.newInput<number>();
    expect(() => input.send([[1, 1]])).toThrow(/finalize/);
    g.finalize();
    expect(() => g.newInput()).toThrow(/finalized/);
  });

  it('snapshots deterministically and restores into a fresh graph', () => {
    const a = pipeline();
    const rows: Order[] = [
      { id: 1, cat: 'b', amount: 3 },
      { id: 2, cat: 'a', amount: 4 },
    ];
    a.input.send(rows.map((r) => [r, 1]));
    a.g.run();
    const b = pipeline();
    b.input.send(rows.toReversed().map((r) => [r, 1]));
    b.g.run();
    const snap = a.g.snapshot();
    expect(Buffer.from(snap).equals(Buffer.from(b.g.snapshot()))).toBe(true);

    const c = pipeline();
    c.g.restore(snap);
    expect(Buffer.from(c.g.snapshot()).equals(Buffer.from(snap))).toBe(true);
    c.input.send([[{ id: 1, cat: 'b', amount: 3 }, -1]]);
    c.g.run();
    expect(c.out.drain()).toEqual([[['b', { key: 'b', total: 6, n: 1 }], -1]]);
  });

  it('rejects a snapshot from a different graph', () => {
    const a = pipeline();
    const g = new DataflowGraph();
    g.newInput<number>().pipe(map((n) => n));
    g.finalize();
    try {
      g.restore(a.g.snapshot());
      expect.unreachable();
    } catch (err) {
      expect(isUnbundledError(err, 'DATAFLOW_SNAPSHOT_MISMATCH')).toBe(true);
    }
  });

  it('consolidateBatch merges equal rows and drops zeros', () => {
    expect(
      consolidateBatch([
        [{ a: 1, b: 2 }, 1],
        [{ b: 2, a: 1 }, 1],
        [{ a: 2 }, 1],
        [{ a: 2 }, -1],
      ]),
    ).toEqual([[{ a: 1, b: 2 }, 2]]);
  });
});
