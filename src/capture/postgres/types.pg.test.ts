import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeRow,
  decodeValue,
  type RowChange,
  type SchemaChange,
  toDebeziumJson,
} from '../../core/index.ts';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import { postgres } from './postgres-source.ts';
import { readTopic, sql, tempLog, until } from './test-support.ts';

/** Column → SQL literal inserted; the captured text must equal Postgres's own `col::text`. */
const MATRIX: Record<string, [string, string]> = {
  c_int2: ['int2', '-32768'],
  c_int4: ['int4', '2147483647'],
  c_int8: ['int8', '9223372036854775807'],
  c_num: ['numeric', "'123456789012345678901234567890.000000000000000001'"],
  c_num_nan: ['numeric', "'NaN'"],
  c_num_inf: ['numeric', "'-Infinity'"],
  c_money: ['money', "'1234567.89'"],
  c_f8: ['float8', "'0.1'"],
  c_f8_inf: ['float8', "'Infinity'"],
  c_f4: ['real', "'3.4028235e+38'"],
  c_bool: ['bool', 'true'],
  c_text: ['text', 'E\'tab\\there\\nnew \\\\ back "q" ünïcödé 🐘\''],
  c_char: ['char(4)', "'ab'"],
  c_varchar: ['varchar(10)', "'x'"],
  c_bytea: ['bytea', "'\\x00ff5c0a'"],
  c_date: ['date', "'4713-01-01 BC'"],
  c_date_inf: ['date', "'infinity'"],
  c_time: ['time', "'23:59:59.999999'"],
  c_timetz: ['timetz', "'12:00:00+05:30'"],
  c_ts: ['timestamp', "'-infinity'"],
  c_tstz: ['timestamptz', "'2024-02-29 23:59:59.123456+05:30'"],
  c_interval: ['interval', "'1 year 2 months -3 days 04:05:06.789'"],
  c_uuid: ['uuid', "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"],
  c_json: ['json', `'{"__proto__": {"polluted": true}, "n": 12345678901234567890}'`],
  c_jsonb: ['jsonb', `'{"a": [1, "b", null], "constructor": {"prototype": 1}}'`],
  c_int_arr: ['int4[]', "'{{1,NULL},{3,4}}'"],
  c_text_arr: ['text[]', `'{"a,b","NULL",NULL,"q\\"x",""}'`],
  c_int8_arr: ['int8[]', "'[0:1]={9007199254740993,-1}'"],
  c_enum: ['mood', "'happy'"],
  c_domain: ['posint', '42'],
  c_composite: ['pair', `ROW(1, 'a "b", c')`],
  c_int4range: ['int4range', "'[1,10)'"],
  c_tstzrange: ['tstzrange', `'["2020-01-01 00:00:00+00",)'`],
  c_numrange: ['numrange', "'empty'"],
  c_multirange: ['int4multirange', "'{[1,3),[5,7)}'"],
  c_inet: ['inet', "'192.168.0.1/24'"],
  c_cidr: ['cidr', "'10.0.0.0/8'"],
  c_macaddr: ['macaddr', "'08:00:2b:01:02:03'"],
  c_bit: ['bit(4)', "B'1010'"],
  c_varbit: ['varbit', "B'101'"],
  c_tsvector: ['tsvector', "'a fat cat'"],
  c_xml: ['xml', "'<a>1</a>'"],
  c_point: ['point', "'(1.5,2)'"],
  c_box_arr: ['box[]', "ARRAY[box '((1,1),(0,0))', box '((2,2),(1,1))']"],
  c_null: ['text', 'NULL'],
};

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe('type matrix against real Postgres', () => {
  it('captures every type exactly (snapshot and streaming) and decodes it to the documented JS', async () => {
    const url = await server.createDatabase('types');
    await sql(url, "CREATE TYPE mood AS ENUM ('sad', 'happy')");
    await sql(url, 'CREATE DOMAIN posint AS int8 CHECK (VALUE > 0)');
    await sql(url, 'CREATE TYPE pair AS (x int, y text)');
    const cols = Object.entries(MATRIX)
      .map(([c, [t]]) => `${c} ${t}`)
      .join(', ');
    await sql(url, `CREATE TABLE t (id int PRIMARY KEY, ${cols})`);
    const names = Object.keys(MATRIX).join(', ');
    const values = Object.values(MATRIX)
      .map(([, v]) => v)
      .join(', ');
    await sql(url, `INSERT INTO t (id, ${names}) VALUES (1, ${values})`);
    const { log, cleanup } = await tempLog();
    const ac = new AbortController();
    const source = postgres({ connection: url, tables: ['t'], onSnapshotProgress: () => {} });
    const running = source.run(log, ac.signal);
    try {
      await until(async () => (await readTopic(log, 'pg.public.t')).length >= 2);
      await sql(url, `INSERT INTO t (id, ${names}) VALUES (2, ${values})`);
      await until(async () => (await readTopic(log, 'pg.public.t')).length >= 3);
      const recs = await readTopic(log, 'pg.public.t');
      const schema = recs[0]!.event as SchemaChange;
      const [snap, live] = recs.slice(1).map((r) => r.event as RowChange);
      // format('%s') applies the type's output function (unlike the bool and bpchar casts)
      const asText = (c: string) =>
        `CASE WHEN ${c} IS NULL THEN NULL ELSE format('%s', ${c}) END AS ${c}`;
      const server_ = await sql(
        url,
        `SELECT ${Object.keys(MATRIX).map(asText).join(', ')} FROM t WHERE id = 1`,
      );
      for (const c of Object.keys(MATRIX)) {
        // exact: the captured text is Postgres's own text output, in both paths
        expect([c, snap!.after![c]]).toEqual([c, server_.rows[0][c]]);
        expect([c, live!.after![c]]).toEqual([c, server_.rows[0][c]]);
      }
      const col = (n: string) => schema.columns.find((c) => c.name === n)!;
      expect(col('c_enum')).toMatchObject({ typeName: 'mood', typeKind: 'e' });
      expect(col('c_domain')).toMatchObject({
        typeName: 'posint',
        typeKind: 'd',
        baseTypeName: 'int8',
      });
      expect(col('c_int_arr')).toMatchObject({ typeName: '_int4', baseTypeName: 'int4' });
      const v = decodeRow(schema.columns, live!.after!);
      expect(v.c_int8).toBe(9223372036854775807n);
      expect(v.c_num).toBe('123456789012345678901234567890.000000000000000001');
      expect(v.c_num_nan).toBe('NaN');
      expect(v.c_num_inf).toBe('-Infinity');
      expect(v.c_money).toBe('$1,234,567.89');
      expect(v.c_f8).toBe(0.1);
      expect(v.c_f8_inf).toBe(Number.POSITIVE_INFINITY);
      expect(v.c_bool).toBe(true);
      expect(v.c_text).toBe('tab\there\nnew \\ back "q" ünïcödé 🐘');
      expect(v.c_char).toBe('ab  ');
      expect(v.c_bytea).toEqual(new Uint8Array([0, 255, 0x5c, 10]));
      expect(v.c_date).toBe('4713-01-01 BC');
      expect(v.c_date_inf).toBe('infinity');
      expect(v.c_ts).toBe('-infinity');
      expect(v.c_tstz).toBe('2024-02-29 18:29:59.123456+00');
      expect(v.c_interval).toBe('1 year 2 mons -3 days +04:05:06.789');
      const json = v.c_json as Record<string, unknown>;
      expect(Object.keys(json)).toEqual(['__proto__', 'n']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(decodeValue(col('c_json'), live!.after!.c_json!, { json: 'text' })).toContain(
        '12345678901234567890',
      );
      expect(v.c_int_arr).toEqual([
        [1, null],
        [3, 4],
      ]);
      expect(v.c_text_arr).toEqual(['a,b', 'NULL', null, 'q"x', '']);
      expect(v.c_int8_arr).toEqual([9007199254740993n, -1n]);
      expect(v.c_enum).toBe('happy');
      expect(v.c_domain).toBe(42n);
      expect(v.c_composite).toEqual(['1', 'a "b", c']);
      expect(v.c_int4range).toEqual({
        empty: false,
        lower: 1,
        upper: 10,
        lowerInclusive: true,
        upperInclusive: false,
      });
      expect(v.c_tstzrange).toMatchObject({ lower: '2020-01-01 00:00:00+00', upper: null });
      expect(v.c_numrange).toEqual({ empty: true });
      expect(v.c_multirange).toHaveLength(2);
      expect(v.c_box_arr).toEqual(['(1,1),(0,0)', '(2,2),(1,1)']);
      expect(v.c_null).toBeNull();
      const dbz = JSON.parse(toDebeziumJson(live!, schema.columns));
      expect(dbz.op).toBe('c');
      expect(dbz.after.c_jsonb).toEqual({ a: [1, 'b', null], constructor: { prototype: 1 } });
      expect(toDebeziumJson(live!, schema.columns)).toContain('"c_int8":9223372036854775807');
    } finally {
      ac.abort();
      await running;
      await cleanup();
    }
  });
});
