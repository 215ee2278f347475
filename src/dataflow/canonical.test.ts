import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, keyOf } from './canonical.ts';

const seed = process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) };

describe('canonical encoding', () => {
  it('sorts object keys and writes bigints, -0 and non-finite numbers unambiguously', () => {
    expect(encodeCanonical({ b: 1n, a: 'x' })).toBe('{"a":"x","b":1n}');
    expect(keyOf(-0)).toBe('0');
    expect(keyOf('1')).not.toBe(keyOf(1));
    expect(keyOf(1)).not.toBe(keyOf(1n));
    expect(encodeCanonical([NaN, Infinity, -Infinity, undefined, null])).toBe(
      '[NaN,Infinity,-Infinity,u,null]',
    );
  });

  it('round-trips plain data and is injective (property)', () => {
    const data = fc.jsonValue().map((v) => v as unknown);
    const withBig = fc.oneof(data, fc.bigInt(), fc.array(fc.oneof(fc.bigInt(), fc.string())));
    fc.assert(
      fc.property(withBig, withBig, (a, b) => {
        const ea = encodeCanonical(a);
        expect(encodeCanonical(decodeCanonical(ea))).toBe(ea);
        if (ea === encodeCanonical(b))
          expect(decodeCanonical(ea)).toEqual(decodeCanonical(encodeCanonical(b)));
      }),
      { numRuns: 300, ...seed },
    );
  });

  it('survives __proto__ keys without polluting prototypes', () => {
    const v = decodeCanonical('{"__proto__":{"x":1}}') as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
