import { describe, expect, it } from 'vitest';
import {
  type Batch,
  collect,
  concat,
  consolidate,
  consolidateBatch,
  DataflowGraph,
  distinct,
  flatMap,
  join,
  keyBy,
  materialize,
  negate,
  topK,
} from '../index.ts';

function graph<T>() {
  const g = new DataflowGraph();
  return { g, input: g.newInput<T>() };
}

describe('stateless operators', () => {
  it('flatMap expands rows with their diff; keyBy pairs key and row', () => {
    const { g, input } = graph<{ id: number; tags: string[] }>();
    const out = collect(
      input.pipe(
        flatMap((r) => r.tags.map((t) => ({ id: r.id, t }))),
        keyBy((r) => r.t),
      ),
    );
    g.finalize();
    input.send([[{ id: 1, tags: ['a', 'b'] }, -1]]);
    g.run();
    expect(out.drain()).toEqual([
      [['a', { id: 1, t: 'a' }], -1],
      [['b', { id: 1, t: 'b' }], -1],
    ]);
  });

  it('concat + negate is bag difference; consolidate drops what cancels', () => {
    const g = new DataflowGraph();
    const a = g.newInput<string>();
    const b = g.newInput<string>();
    const out = collect(a.pipe(concat(b.pipe(negate())), consolidate({ sorted: true })));
    g.finalize();
    a.send([
      ['x', 1],
      ['y', 1],
    ]);
    b.send([['x', 1]]);
    g.run();
    expect(out.drain()).toEqual([['y', 1]]);
  });
});

describe('join', () => {
  it('inner join follows updates on both sides', () => {
    const g = new DataflowGraph();
    const orders = g.newInput<{ id: number; user: number }>();
    const users = g.newInput<{ id: number; name: string }>();
    const out = collect(
      orders.pipe(
        keyBy((o) => o.user),
        join(users.pipe(keyBy((u) => u.id))),
      ),
    );
    g.finalize();
    orders.send([[{ id: 10, user: 1 }, 1]]);
    users.send([[{ id: 1, name: 'ann' }, 1]]);
    g.run();
    expect(out.drain()).toEqual([
      [
        [
          1,
          [
            { id: 10, user: 1 },
            { id: 1, name: 'ann' },
          ],
        ],
        1,
      ],
    ]);
    users.send([
      [{ id: 1, name: 'ann' }, -1],
      [{ id: 1, name: 'anna' }, 1],
    ]);
    g.run();
    expect(consolidateBatch(out.drain(), true)).toEqual([
      [
        [
          1,
          [
            { id: 10, user: 1 },
            { id: 1, name: 'ann' },
          ],
        ],
        -1,
      ],
      [
        [
          1,
          [
            { id: 10, user: 1 },
            { id: 1, name: 'anna' },
          ],
        ],
        1,
      ],
    ]);
  });

  it('left join pads with null and retracts the padding when a match arrives or leaves', () => {
    const g = new DataflowGraph();
    const l = g.newInput<[number, string]>();
    const r = g.newInput<[number, string]>();
    const out = collect(l.pipe(join(r, 'left')));
    g.finalize();
    l.send([[[1, 'a'], 1]]);
    g.run();
    expect(out.drain()).toEqual([[[1, ['a', null]], 1]]);
    r.send([[[1, 'R'], 1]]);
    g.run();
    expect(consolidateBatch(out.drain(), true)).toEqual([
      [[1, ['a', 'R']], 1],
      [[1, ['a', null]], -1],
    ]);
    r.send([[[1, 'R'], -1]]);
    g.run();
    expect(consolidateBatch(out.drain(), true)).toEqual([
      [[1, ['a', 'R']], -1],
      [[1, ['a', null]], 1],
    ]);
  });
});

describe('distinct and topK', () => {
  it('distinct emits a row once while present', () => {
    const { g, input } = graph<string>();
    const out = collect(input.pipe(distinct()));
    g.finalize();
    input.send([
      ['a', 1],
      ['a', 1],
    ]);
    g.run();
    input.send([['a', -1]]);
    g.run();
    expect(out.drain()).toEqual([['a', 1]]);
    input.send([['a', -1]]);
    g.run();
    expect(out.drain()).toEqual([['a', -1]]);
  });

  it('topK replaces a retracted top row with the next one and breaks ties deterministically', () => {
    const { g, input } = graph<[string, { n: number; id: string }]>();
    const out = collect(input.pipe(topK({ limit: 2, compare: (a, b) => b.n - a.n })));
    g.finalize();
    const row = (id: string, n: number): Batch<[string, { n: number; id: string }]>[number] => [
      ['k', { id, n }],
      1,
    ];
    input.send([row('b', 5), row('a', 5), row('c', 1)]);
    g.run();
    expect(consolidateBatch(out.drain(), true)).toEqual([
      [['k', { id: 'a', n: 5 }], 1],
      [['k', { id: 'b', n: 5 }], 1],
    ]);
    input.send([[['k', { id: 'a', n: 5 }], -1]]);
    g.run();
    expect(consolidateBatch(out.drain(), true)).toEqual([
      [['k', { id: 'a', n: 5 }], -1],
      [['k', { id: 'c', n: 1 }], 1],
    ]);
  });
});

describe('materialize', () => {
  it('turns keyed diffs into sorted upserts and deletes', () => {
    expect(
      materialize([
        [['b', { n: 5 }], -1],
        [['a', { n: 1 }], -1],
        [['a', { n: 2 }], 1],
        [['c', { n: 3 }], 1],
        [['c', { n: 3 }], -1],
      ]),
    ).toEqual([
      { key: '"a"', row: { n: 2 } },
      { key: '"b"', row: null },
    ]);
  });

  it('refuses two rows under one key', () => {
    expect(() =>
      materialize([
        [[1, 'x'], 1],
        [[1, 'y'], 1],
      ]),
    ).toThrow(/would hold 2 rows/);
  });
});
