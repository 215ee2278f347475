import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeChange, encodeChange } from './change-codec.ts';
import {
  type ChangeEvent,
  type ColumnMeta,
  type RowChange,
  type TextValue,
  UNCHANGED_TOAST,
} from './change-event.ts';
import { toDebeziumJson } from './debezium-json.ts';
import { encodeRowKey } from './row-key.ts';

const seed = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {};

const textValue: fc.Arbitrary<TextValue> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
  fc.constant(null),
  fc.constant(UNCHANGED_TOAST),
);
const name = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constant('__proto__'),
  fc.constant('constructor'),
);
const row = fc.dictionary(name, textValue, { maxKeys: 8 }).map((r) => {
  const out = Object.create(null) as Record<string, TextValue>;
  for (const [k, v] of Object.entries(r)) out[k] = v;
  return out;
});
const lsn = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const ts = fc.integer({ min: -(2 ** 40), max: 2 ** 42 });

const rowChange: fc.Arbitrary<RowChange> = fc.record({
  kind: fc.constant('row' as const),
  op: fc.constantFrom('c' as const, 'u' as const, 'd' as const, 'r' as const, 't' as const),
  before: fc.option(row, { nil: null }),
  after: fc.option(row, { nil: null }),
  ts_ms: ts,
  source: fc.record({
    db: fc.string({ maxLength: 10 }),
    schema: fc.string({ maxLength: 10 }),
    table: fc.string({ maxLength: 200 }),
    lsn,
    txId: fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: null }),
    ts_ms: ts,
    snapshot: fc.boolean(),
    seq: fc.nat(),
    schemaVersion: fc.nat(),
  }),
});

const column: fc.Arbitrary<ColumnMeta> = fc
  .record(
    {
      name: fc.string({ maxLength: 20 }),
      typeOid: fc.nat({ max: 2 ** 32 - 1 }),
      typeName: fc.string({ maxLength: 20 }),
      typmod: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
      isKey: fc.boolean(),
      typeKind: fc.constantFrom('b', 'c', 'd', 'e', 'r', 'm'),
      baseTypeName: fc.string({ maxLength: 10 }),
    },
    { requiredKeys: ['name', 'typeOid', 'typeName', 'typmod', 'isKey'] },
  )
  .map((c) => c as ColumnMeta);

const schemaChange: fc.Arbitrary<ChangeEvent> = fc.record({
  kind: fc.constant('schema' as const),
  db: fc.string(),
  schema: fc.string(),
  table: fc.string(),
  relationId: fc.nat({ max: 2 ** 32 - 1 }),
  version: fc.nat(),
  replicaIdentity: fc.constantFrom('d', 'n', 'f', 'i'),
  columns: fc.array(column, { maxLength: 6 }),
  lsn,
  ts_ms: ts,
});

const txBoundary: fc.Arbitrary<ChangeEvent> = fc.record({
  kind: fc.constant('tx' as const),
  phase: fc.constantFrom('begin' as const, 'commit' as const),
  txId: fc.option(fc.nat({ max: 2 ** 32 - 1 }), { nil: null }),
  lsn,
  endLsn: lsn,
  ts_ms: ts,
  eventCount: fc.nat(),
  topics: fc.dictionary(fc.string({ minLength: 1 }), fc.nat()).map((t) => ({ ...t })),
});

describe('change codec', () => {
  it('round-trips every change event (property)', () => {
    fc.assert(
      fc.property(fc.oneof(rowChange, schemaChange, txBoundary), (ev) => {
        expect(decodeChange(encodeChange(ev))).toEqual(ev);
      }),
      { numRuns: 500, ...seed },
    );
  });

  it('keeps UNCHANGED_TOAST distinct from null and a __proto__ column as data', () => {
    const after = Object.create(null) as Record<string, TextValue>;
    const protoKey = '__proto__';
    after[protoKey] = 'x';
    after.big = UNCHANGED_TOAST;
    after.gone = null;
    const ev: RowChange = {
      kind: 'row',
      op: 'u',
      before: null,
      after,
      ts_ms: 1,
      source: {
        db: 'd',
        schema: 's',
        table: 't',
        lsn: 0x16b3748n,
        txId: 7,
        ts_ms: 1,
        snapshot: false,
        seq: 0,
        schemaVersion: 1,
      },
    };
    const back = decodeChange(encodeChange(ev)) as RowChange;
    expect(back.after?.big).toBe(UNCHANGED_TOAST);
    expect(back.after?.gone).toBeNull();
    expect(Object.getPrototypeOf(back.after)).toBeNull();
    expect(Object.keys(back.after ?? {})).toEqual(['__proto__', 'big', 'gone']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('is compact: a small row change is well under its JSON size', () => {
    const ev: RowChange = {
      kind: 'row',
      op: 'c',
      before: null,
      after: { id: '42', status: 'paid', total: '19.99' },
      ts_ms: 1_700_000_000_000,
      source: {
        db: 'shop',
        schema: 'public',
        table: 'orders',
        lsn: 0x16b3748n,
        txId: 1234,
        ts_ms: 1_700_000_000_000,
        snapshot: false,
        seq: 3,
        schemaVersion: 1,
      },
    };
    expect(encodeChange(ev).length).toBeLessThan(toDebeziumJson(ev).length / 3);
  });

  it('rejects truncated and unknown input with CHANGE_DECODE', () => {
    const bytes = encodeChange({
      kind: 'tx',
      phase: 'commit',
      txId: 1,
      lsn: 10n,
      endLsn: 11n,
      ts_ms: 0,
      eventCount: 1,
      topics: { a: 1 },
    });
    expect(() => decodeChange(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodeChange(new Uint8Array([9, 1]))).toThrow(/format 9/);
  });

  it('row keys are deterministic over key columns', () => {
    const cols: ColumnMeta[] = [
      { name: 'a', typeOid: 23, typeName: 'int4', typmod: -1, isKey: true },
      { name: 'b', typeOid: 25, typeName: 'text', typmod: -1, isKey: false },
    ];
    const k1 = encodeRowKey(cols, { a: '1', b: 'x' });
    const k2 = encodeRowKey(cols, { b: 'y', a: '1' });
    expect(k1).toEqual(k2);
    expect(encodeRowKey([{ ...cols[1]! }], { b: 'x' })).toBeNull();
  });
});
