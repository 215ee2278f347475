import { describe, expect, it } from 'vitest';
import { UNCHANGED_TOAST } from './change-event.ts';
import { toDebeziumJson } from './debezium-json.ts';
import { formatLsn, parseLsn } from './lsn.ts';
import { parseArrayLiteral, parseCompositeLiteral } from './pg-literals.ts';
import { parseJsonSafe } from './safe-json.ts';
import { topicForTable } from './topic-names.ts';
import { decodeValue } from './value-decoders.ts';

describe('decodeValue', () => {
  it('int8 beyond 2^53 stays exact as bigint', () => {
    expect(decodeValue('int8', '9223372036854775807')).toBe(9223372036854775807n);
    expect(decodeValue(20, '-9007199254740993')).toBe(-9007199254740993n);
  });

  it('numeric and money stay exact strings, incl. NaN/Infinity', () => {
    for (const t of ['123456789012345678901234567890.000000001', 'NaN', 'Infinity', '-Infinity']) {
      expect(decodeValue('numeric', t)).toBe(t);
    }
    expect(decodeValue('money', '$1,234.56')).toBe('$1,234.56');
  });

  it('floats, bools, small ints', () => {
    expect(decodeValue('float8', 'NaN')).toBeNaN();
    expect(decodeValue('float8', '-Infinity')).toBe(Number.NEGATIVE_INFINITY);
    expect(decodeValue('float4', '0.1')).toBe(0.1);
    expect(decodeValue('bool', 't')).toBe(true);
    expect(decodeValue('int2', '-32768')).toBe(-32768);
  });

  it('temporal types keep the exact Postgres text, infinity included', () => {
    for (const [t, v] of [
      ['timestamptz', '2024-02-29 23:59:59.999999+05:30'],
      ['timestamp', 'infinity'],
      ['timestamptz', '-infinity'],
      ['date', '4713-01-01 BC'],
      ['interval', '1 year 2 mons -3 days 04:05:06.789'],
      ['timetz', '12:00:00+01'],
    ] as const) {
      expect(decodeValue(t, v)).toBe(v);
    }
  });

  it('json: __proto__ is plain data and never touches Object.prototype', () => {
    const v = decodeValue('jsonb', '{"__proto__":{"polluted":true},"a":[1,{"b":null}]}') as Record<
      string,
      unknown
    >;
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    const copy = Object.assign({}, v);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(copy).toBeDefined();
    expect(decodeValue('json', '{"x":1}', { json: 'text' })).toBe('{"x":1}');
    expect(parseJsonSafe('[1,"a",null]')).toEqual([1, 'a', null]);
  });

  it('bytea hex and escape formats', () => {
    expect(decodeValue('bytea', '\\x00ff10')).toEqual(new Uint8Array([0, 255, 16]));
    expect(decodeValue('bytea', 'a\\000\\\\')).toEqual(new Uint8Array([97, 0, 92]));
  });

  it('arrays: multidimensional, NULL elements, quoting, lower bounds', () => {
    expect(decodeValue('_int8', '{{1,NULL},{3,9007199254740993}}')).toEqual([
      [1n, null],
      [3n, 9007199254740993n],
    ]);
    expect(decodeValue('_text', '{"a,b","NULL",NULL,"q\\"x","",c}')).toEqual([
      'a,b',
      'NULL',
      null,
      'q"x',
      '',
      'c',
    ]);
    expect(parseArrayLiteral('[0:1]={7,8}')).toEqual(['7', '8']);
    expect(decodeValue('_int4', '{}')).toEqual([]);
    expect(decodeValue('_box', '{(1,1),(0,0);(2,2),(1,1)}')).toEqual([
      '(1,1),(0,0)',
      '(2,2),(1,1)',
    ]);
  });

  it('enums, domains, composites', () => {
    expect(decodeValue({ typeName: 'mood', typeKind: 'e' }, 'happy')).toBe('happy');
    expect(decodeValue({ typeName: 'posint', typeKind: 'd', baseTypeName: 'int8' }, '5')).toBe(5n);
    expect(parseCompositeLiteral('(1,"a b",,"x""y","")')).toEqual(['1', 'a b', null, 'x"y', '']);
    expect(decodeValue({ typeName: 'pair', typeKind: 'c' }, '(1,)')).toEqual(['1', null]);
  });

  it('ranges and multiranges', () => {
    expect(decodeValue('int8range', '[1,10)')).toEqual({
      empty: false,
      lower: 1n,
      upper: 10n,
      lowerInclusive: true,
      upperInclusive: false,
    });
    expect(decodeValue('numrange', 'empty')).toEqual({ empty: true });
    expect(decodeValue('tstzrange', '("2020-01-01 00:00:00+00",)')).toEqual({
      empty: false,
      lower: '2020-01-01 00:00:00+00',
      upper: null,
      lowerInclusive: false,
      upperInclusive: false,
    });
    expect(decodeValue('int4multirange', '{[1,3),[5,7)}')).toHaveLength(2);
  });

  it('null and unchanged TOAST pass through', () => {
    expect(decodeValue('text', null)).toBeNull();
    expect(decodeValue('text', UNCHANGED_TOAST)).toBe(UNCHANGED_TOAST);
  });
});

describe('helpers', () => {
  it('lsn parse/format', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(formatLsn(parseLsn('FFFFFFFF/1'))).toBe('FFFFFFFF/1');
  });

  it('topic names', () => {
    expect(topicForTable('public', 'orders')).toBe('pg.public.orders');
    expect(topicForTable('public', 'Order Items', 'shop')).toBe('shop.public.Order_Items');
  });

  it('Debezium JSON keeps int8 exact and types values', () => {
    const json = toDebeziumJson(
      {
        kind: 'row',
        op: 'u',
        before: null,
        after: { id: '9223372036854775807', ok: 't', doc: '{"a":1}', blob: UNCHANGED_TOAST },
        ts_ms: 5,
        source: {
          db: 'd',
          schema: 'public',
          table: 't',
          lsn: 100n,
          txId: 9,
          ts_ms: 4,
          snapshot: false,
          seq: 0,
          schemaVersion: 1,
        },
      },
      [
        { name: 'id', typeOid: 20, typeName: 'int8', typmod: -1, isKey: true },
        { name: 'ok', typeOid: 16, typeName: 'bool', typmod: -1, isKey: false },
        { name: 'doc', typeOid: 3802, typeName: 'jsonb', typmod: -1, isKey: false },
      ],
    );
    expect(json).toContain('"id":9223372036854775807');
    expect(json).toContain('"blob":"__debezium_unavailable_value"');
    const parsed = JSON.parse(json);
    expect(parsed.op).toBe('u');
    expect(parsed.after.ok).toBe(true);
    expect(parsed.after.doc).toEqual({ a: 1 });
    expect(parsed.source.lsn).toBe(100);
  });
});
