import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collect, count, DataflowGraph, groupBy, map, sum } from './index.ts';
import { asSet, changelog, cuts, fcParams, feed, net, split, tableOps } from './test-support.ts';

interface Row {
  id: number;
  cat: string;
  v: number;
}

const rowArb = fc.record({
  cat: fc.constantFrom('a', 'b', 'poison'),
  v: fc.integer({ min: -3, max: 9 }),
});

describe('dead letters (oracle)', () => {
  // Planted bug, seen failing: having map forward the input row unchanged when its function
  // throws (instead of dropping it after dead-lettering) fails this property.
  it('rows whose user functions throw are dead-lettered (inserts and their retractions) and the rest is exact', () => {
    fc.assert(
      fc.property(tableOps(rowArb, 8), cuts, (ops, sizes) => {
        const { changes, table } = changelog(ops, (id, r) => ({ id, ...r }));
        const g = new DataflowGraph();
        const input = g.newInput<Row>();
        const out = collect(
          input.pipe(
            map((r: Row) => {
              if (r.v < 0) throw new Error(`negative v in row ${r.id}`);
              return r;
            }),
            groupBy(
              (r: Row) => {
                if (r.cat === 'poison') throw new Error('poison category');
                return r.cat;
              },
              { n: count(), s: sum((r: Row) => r.v) },
            ),
          ),
        );
        g.finalize();
        const got = net(feed(g, input, split(changes, sizes), out));
        const good = [...table.values()].filter((r) => r.v >= 0 && r.cat !== 'poison');
        const groups = new Map<string, { key: string; n: number; s: number }>();
        for (const r of good) {
          const x = groups.get(r.cat) ?? { key: r.cat, n: 0, s: 0 };
          groups.set(r.cat, { key: r.cat, n: x.n + 1, s: x.s + r.v });
        }
        expect(got).toEqual(asSet([...groups].map(([k, row]) => [k, row])));
        const letters = g.deadLetters();
        const bad = changes.filter(([r]) => r.v < 0 || r.cat === 'poison');
        expect(net(letters.map((d) => [d.row, d.diff]))).toEqual(net(bad));
        const where = (d: (typeof letters)[number]) =>
          (d.row as Row).v < 0 ? 'map#0' : 'groupBy#1';
        expect(letters.every((d) => d.operator === where(d))).toBe(true);
      }),
      fcParams(150),
    );
  });
});
