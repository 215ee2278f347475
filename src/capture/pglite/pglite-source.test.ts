import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  decodeRow,
  decodeValue,
  type RowChange,
  type SchemaChange,
  type TxBoundary,
} from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import { readTopic, tempLog } from '../postgres/test-support.ts';
import { pgliteSource } from './pglite-source.ts';

let db: PGlite;
let log: Log;
let cleanup: () => Promise<void>;

// One PGlite per file (starting one takes seconds on a busy machine); each test uses its own
// tables and a fresh log, and drains the change table completely.
beforeAll(async () => {
  db = await PGlite.create();
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  ({ log, cleanup } = await tempLog());
});
afterEach(async () => {
  await cleanup();
});

const rowsOf = (recs: Awaited<ReturnType<typeof readTopic>>) =>
  recs.filter((r) => r.event.kind === 'row').map((r) => r.event as RowChange);

describe('pglite capture', () => {
  it('captures inserts, updates, deletes and truncates in commit order, whole transactions only', async () => {
    await db.exec(`CREATE TABLE items (id int8 PRIMARY KEY, n numeric, at timestamptz, b bytea, tags text[]);
                   CREATE TABLE notes (id int PRIMARY KEY, body text);`);
    const source = pgliteSource({ db, tables: ['items', 'notes'] });
    await source.open();
    await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO items VALUES
        (9007199254740993, 'NaN', '2024-02-29 23:59:59.999999+00', '\\x00ff5c', '{"a,b",NULL,"q\\"x"}'),
        (2, 12345678901234567890.123456789, 'infinity', NULL, '{}')`);
      await tx.exec(`INSERT INTO notes VALUES (1, 'first')`);
    });
    await db.exec(`UPDATE items SET n = n + 1 WHERE id = 2`);
    await db
      .transaction(async (tx) => {
        await tx.exec(`INSERT INTO items VALUES (3, 3, now(), NULL, NULL)`);
        await tx.exec(`DELETE FROM notes`);
        throw new Error('roll back');
      })
      .catch(() => {});
    await db.exec(`DELETE FROM items WHERE id = 2; TRUNCATE notes;`);

    expect((await source.lag()).rows).toBe(6);
    const pass = await source.drain(log);
    expect(await source.lag()).toEqual({ rows: 0, bytes: 0, seconds: 0 });
    expect(pass.transactions).toBe(3); // the DELETE + TRUNCATE exec is one implicit transaction
    expect((await db.query('SELECT count(*)::int AS c FROM unbundled_changes')).rows).toEqual([
      { c: 0 },
    ]);

    const items = await readTopic(log, 'pg.public.items');
    const schema = items[0]!.event as SchemaChange;
    expect(schema.columns.map((c) => [c.name, c.typeName, c.isKey])).toEqual([
      ['id', 'int8', true],
      ['n', 'numeric', false],
      ['at', 'timestamptz', false],
      ['b', 'bytea', false],
      ['tags', '_text', false],
    ]);
    const rows = rowsOf(items);
    expect(rows.map((r) => r.op)).toEqual(['c', 'c', 'u', 'd']);
    // values exactly as Postgres prints them
    const first = decodeRow(schema.columns, rows[0]!.after!);
    expect(first.id).toBe(9007199254740993n);
    expect(first.n).toBe('NaN');
    expect(first.at).toBe('2024-02-29 23:59:59.999999+00');
    expect(first.b).toEqual(new Uint8Array([0, 255, 0x5c]));
    expect(first.tags).toEqual(['a,b', null, 'q"x']);
    expect(rows[1]!.after!.n).toBe('12345678901234567890.123456789');
    expect(rows[1]!.after!.at).toBe('infinity');
    expect(rows[2]!.before!.n).toBe('12345678901234567890.123456789');
    expect(rows[2]!.after!.n).toBe('12345678901234567891.123456789');
    expect(rows[3]!.before!.id).toBe('2');
    expect(rows[3]!.after).toBeNull();
    // rolled-back transaction absent
    expect(rows.some((r) => r.after?.id === '3')).toBe(false);
    // transaction boundaries: the last record of each transaction in the partition is marked
    expect(items.filter((r) => r.commit).map((r) => (r.event as RowChange).op)).toEqual([
      'c',
      'u',
      'd',
    ]);
    expect(rows[0]!.source.txId).toBe(rows[1]!.source.txId);

    const notes = rowsOf(await readTopic(log, 'pg.public.notes'));
    expect(notes.map((r) => r.op)).toEqual(['c', 't']);
    expect(notes[0]!.source.txId).toBe(rows[0]!.source.txId);

    const txs = (await readTopic(log, 'pg.transactions')).map((r) => r.event as TxBoundary);
    expect(txs.map((t) => [t.eventCount, { ...t.topics }])).toEqual([
      [3, { 'pg.public.items': 2, 'pg.public.notes': 1 }],
      [1, { 'pg.public.items': 1 }],
      [2, { 'pg.public.items': 1, 'pg.public.notes': 1 }],
    ]);
    // commit order: positions increase
    const lsns = txs.map((t) => t.lsn);
    expect([...lsns].sort((a, b) => (a < b ? -1 : 1))).toEqual(lsns);
    expect(decodeValue('int8', rows[0]!.after!.id!)).toBe(9007199254740993n);
  });

  it('captures every column type exactly as Postgres prints it', async () => {
    await db.exec(`CREATE TYPE mood AS ENUM ('sad', 'ok');
      CREATE DOMAIN posint AS int CHECK (VALUE > 0);
      CREATE TYPE pair AS (a text, b int);
      CREATE TABLE typed (id int PRIMARY KEY, t text, e text, f float8, m mood, d posint, p pair,
        pa pair[], r int4range, mr int4multirange, j jsonb, i interval, u uuid, ip inet, bits bit(4),
        ts tsvector, n2 numeric[], bo bool, dt date, tm timetz)`);
    const source = pgliteSource({ db, tables: ['typed'] });
    await source.open();
    await db.exec(`INSERT INTO typed VALUES
      (1, 'a "q", (p) \\ back
    line', '', '-Infinity', 'ok', 7, ROW('x,"y"', NULL), ARRAY[ROW('(', 1)::pair, NULL],
       '[1,5)', '{[1,2),[4,9)}', '{"k": [1.10, null, "\\u00e9x"]}', '1 day -02:00:03.5', gen_random_uuid(),
       '10.0.0.1/8', B'1010', 'a:1 b', '{1.5,NaN,NULL}', true, 'infinity', '12:00+05'),
      (2, NULL, NULL, 'NaN', NULL, NULL, NULL, '{}', 'empty', '{}', 'null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
    await source.drain(log);
    const rows = rowsOf(await readTopic(log, 'pg.public.typed'));
    // The oracle: Postgres's own text output of every column (format's %s calls the type's
    // output function; a ::text cast would not: bool casts to 'true' but prints as 't').
    const columns = (
      await db.query<{ c: string }>(
        `SELECT attname AS c FROM pg_attribute WHERE attrelid = 'typed'::regclass AND attnum > 0 ORDER BY attnum`,
      )
    ).rows.map((r) => r.c);
    const list = columns
      .map((c) => `CASE WHEN num_nulls(${c}) = 0 THEN format('%s', ${c}) END AS ${c}`)
      .join(', ');
    const want = (
      await db.query<Record<string, string | null>>(`SELECT ${list} FROM typed ORDER BY id`)
    ).rows;
    expect(rows.map((r) => ({ ...r.after }))).toEqual(want);
    expect(want[0]!.t).toContain('\n');
    expect(want[0]!.e).toBe('');
    expect(want[1]!.e).toBeNull();
  });

  it('snapshots existing rows once, keys rows into partitions, and follows ALTER TABLE', async () => {
    await db.exec(`CREATE TABLE t (id int PRIMARY KEY, v text);
                   INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g;`);
    const source = pgliteSource({ db, tables: ['t'], partitions: 3 });
    await source.open();
    await source.open(); // idempotent install: no second snapshot
    await pgliteSource({ db, tables: ['t'] }).open();
    await db.exec(`UPDATE t SET v = 'x' WHERE id = 7`);
    await db.exec(`ALTER TABLE t ADD COLUMN w int DEFAULT 5`);
    await db.exec(`UPDATE t SET v = 'y' WHERE id = 7`);
    await source.drain(log);

    const all = [0, 1, 2].map(async (p) => readTopic(log, 'pg.public.t', p));
    const parts = await Promise.all(all);
    const rows = parts.flatMap(rowsOf);
    expect(rows.filter((r) => r.op === 'r')).toHaveLength(50);
    expect(parts.every((p) => rowsOf(p).length > 0)).toBe(true);
    const seven = rows.filter((r) => (r.after ?? r.before)?.id === '7');
    expect(seven.map((r) => [r.op, r.after])).toEqual([
      ['r', { id: '7', v: 'v7' }],
      ['u', { id: '7', v: 'x' }],
      ['u', { id: '7', v: 'y', w: '5' }],
    ]);
    const schemas = parts[0]!
      .filter((r) => r.event.kind === 'schema')
      .map((r) => r.event as SchemaChange);
    expect(schemas.map((s) => s.columns.map((c) => c.name))).toEqual([
      ['id', 'v'],
      ['id', 'v', 'w'],
    ]);
    expect(seven[2]!.source.schemaVersion).toBe(schemas[1]!.version);
  });

  it("never reads the uncommitted rows of the application's open raw transaction", async () => {
    await db.exec(`CREATE TABLE raw (id int PRIMARY KEY)`);
    const source = pgliteSource({ db, tables: ['raw'] });
    await source.open();
    // Planted: guard removed from READ_SQL (clean always true) → row 1 relayed, the test fails.
    await db.exec(`BEGIN; INSERT INTO raw VALUES (1);`);
    const during = await source.drain(log);
    expect([during.clean, during.rows]).toEqual([false, 0]);
    await db.exec(`ROLLBACK`);
    await db.exec(`BEGIN; INSERT INTO raw VALUES (2);`);
    expect((await source.drain(log)).rows).toBe(0);
    await db.exec(`COMMIT`);
    await source.drain(log);
    expect(rowsOf(await readTopic(log, 'pg.public.raw')).map((r) => r.after!.id)).toEqual(['2']);
  });

  it('vacuums the change table (PGlite runs no autovacuum)', async () => {
    await db.exec(`CREATE TABLE churn (id int PRIMARY KEY, pad text)`);
    const source = pgliteSource({ db, tables: ['churn'], vacuumRows: 500 });
    await source.open();
    const size = async () =>
      (await db.query<{ b: number }>(`SELECT pg_relation_size('unbundled_changes')::int AS b`))
        .rows[0]!.b;
    await source.drain(log);
    for (let round = 0; round < 5; round++) {
      await db.exec(`INSERT INTO churn SELECT g, repeat('x', 200) FROM generate_series(1, 1000) g;
                     DELETE FROM churn;`);
      await source.drain(log);
    }
    // 10,000 change rows of ~250 bytes went through; without VACUUM the heap keeps them all
    // (planted: vacuumChanges not running VACUUM → 2.8 MB, the test fails).
    expect(await size()).toBeLessThan(200_000);
  });

  it('relays a large transaction in chunks and wakes on notify while running', async () => {
    await db.exec(`CREATE TABLE big (id int PRIMARY KEY)`);
    const source = pgliteSource({
      db,
      tables: ['big'],
      readRows: 300,
      flushRecords: 500,
      pollMs: 60_000,
    });
    const ac = new AbortController();
    const running = source.run(log, ac.signal);
    await expect(source.drain(log)).rejects.toThrow(/already in run/);
    await db.exec(`INSERT INTO big SELECT g FROM generate_series(1, 2000) g`);
    const deadline = Date.now() + 20_000;
    while ((await readTopic(log, 'pg.transactions')).length < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    ac.abort();
    await running;
    const recs = await readTopic(log, 'pg.public.big');
    expect(rowsOf(recs).map((r) => r.after!.id)).toEqual(
      Array.from({ length: 2000 }, (_, i) => String(i + 1)),
    );
    expect(recs.filter((r) => r.commit)).toHaveLength(1);
    expect(recs[recs.length - 1]!.commit).toBe(true);
    expect(source.current.type).toBe('stopped');
  });
});
