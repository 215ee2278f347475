import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { avg, collect, count, DataflowGraph, groupBy, max, min, sum } from '../index.ts';
import { asSet, changelog, cuts, fcParams, feed, net, split, tableOps } from '../test-support.ts';

interface Row {
  id: number;
  cat: string;
  v: number | null;
}

const rowArb = fc.record({
  cat: fc.constantFrom('a', 'b', 'c'),
  v: fc.option(fc.integer({ min: -20, max: 20 })),
});

function build() {
  const g = new DataflowGraph();
  const input = g.newInput<Row>();
  const out = collect(
    input.pipe(
      groupBy((r) => r.cat, {
        n: count(),
        s: sum((r) => r.v),
        lo: min((r) => r.v),
        hi: max((r) => r.v),
        mean: avg((r) => r.v),
      }),
    ),
  );
  g.finalize();
  return { g, input, out };
}

/** Recompute from scratch on the final table. */
function oracle(table: Map<number, Row>) {
  const groups = new Map<string, Row[]>();
  for (const r of table.values()) groups.set(r.cat, [...(groups.get(r.cat) ?? []), r]);
  return asSet(
    [...groups].map(([cat, rows]) => {
      const vs = rows.map((r) => r.v).filter((v): v is number => v !== null);
      const s = vs.reduce((a, b) => a + b, 0);
      const row = {
        key: cat,
        n: rows.length,
        s,
        lo: vs.length ? Math.min(...vs) : null,
        hi: vs.length ? Math.max(...vs) : null,
        mean: vs.length ? s / vs.length : null,
      };
      return [cat, row] as [string, typeof row];
    }),
  );
}

describe('groupBy (oracle)', () => {
  // Planted bug, seen failing: making min/max ignore retractions (`if (diff < 0) return acc;`
  // in the extreme aggregate's step in aggregates.ts) fails this property within a few runs
  // (a deleted minimum stays the minimum); removed again after the demonstration.
  it('incremental count/sum/min/max/avg equal recomputation on the final table', () => {
    fc.assert(
      fc.property(tableOps(rowArb, 8), cuts, (ops, sizes) => {
        const { changes, table } = changelog(ops, (id, r) => ({ id, ...r }));
        const { g, input, out } = build();
        expect(net(feed(g, input, split(changes, sizes), out))).toEqual(oracle(table));
      }),
      fcParams(200),
    );
  });

  it('gives the same output and the same snapshot bytes for any batch split', () => {
    fc.assert(
      fc.property(tableOps(rowArb, 8), cuts, cuts, (ops, s1, s2) => {
        const { changes } = changelog(ops, (id, r) => ({ id, ...r }));
        const a = build();
        const b = build();
        const outA = net(feed(a.g, a.input, split(changes, s1), a.out));
        const outB = net(feed(b.g, b.input, split(changes, s2), b.out));
        expect(outA).toEqual(outB);
        expect(Buffer.from(a.g.snapshot()).equals(Buffer.from(b.g.snapshot()))).toBe(true);
      }),
      fcParams(100),
    );
  });

  it('restoring a snapshot mid-stream continues exactly like an uninterrupted run', () => {
    fc.assert(
      fc.property(tableOps(rowArb, 8), fc.nat(), (ops, at) => {
        const { changes, table } = changelog(ops, (id, r) => ({ id, ...r }));
        const cut = changes.length === 0 ? 0 : at % changes.length;
        const first = build();
        const before = feed(first.g, first.input, [changes.slice(0, cut)], first.out);
        const second = build();
        second.g.restore(first.g.snapshot());
        const after = feed(second.g, second.input, [changes.slice(cut)], second.out);
        expect(net([...before, ...after])).toEqual(oracle(table));
      }),
      fcParams(100),
    );
  });
});
