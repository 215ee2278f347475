import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from './canonical.ts';
import { compareValues, SortedBag } from './sorted-bag.ts';
import { fcParams } from './test-support.ts';

describe('SortedBag (model)', () => {
  // Planted bug, seen failing: comparing against a chunk's first entry instead of its last in
  // the chunk search (values land in the wrong chunk once chunks split) fails this property.
  it('matches a sorted array model across chunk splits, with and without encoding ties', () => {
    const op = fc.tuple(fc.integer({ min: 0, max: 2400 }), fc.constantFrom(1, 1, 2, -1));
    fc.assert(
      fc.property(fc.array(op, { minLength: 300, maxLength: 800 }), fc.boolean(), (ops, byEnc) => {
        const cmp = byEnc ? (a: [number, number], b: [number, number]) => a[0] - b[0] : undefined;
        const bag = new SortedBag<[number, number]>(
          cmp ?? ((a, b) => compareValues(a[0], b[0])),
          byEnc,
        );
        const model = new Map<string, [[number, number], number]>();
        for (const [v, d] of ops) {
          const value: [number, number] = [v >> 2, byEnc ? v & 3 : 0];
          bag.add(value, d);
          const k = encodeCanonical(value);
          const n = (model.get(k)?.[1] ?? 0) + d;
          if (n === 0) model.delete(k);
          else model.set(k, [value, n]);
        }
        const sorted = [...model.values()].sort(
          ([a], [b]) => a[0] - b[0] || (encodeCanonical(a) < encodeCanonical(b) ? -1 : 1),
        );
        expect(bag.toArray()).toEqual(sorted);
        expect(bag.distinct).toBe(sorted.length);
        const positive = sorted.filter(([, n]) => n > 0);
        expect(bag.first()).toEqual(positive[0]?.[0]);
        expect(bag.last()).toEqual(positive.at(-1)?.[0]);
      }),
      { ...fcParams(30), endOnFailure: true },
    );
  });
});
