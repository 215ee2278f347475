import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnbundledError } from '../../core/errors.ts';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import { runViewConformance } from '../conformance.ts';
import { createPostgresView } from './postgres-view.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

for (const mode of ['typed columns', 'jsonb row'] as const) {
  runViewConformance(`postgres (${mode})`, async () => {
    const { url } = server;
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on('error', () => undefined);
    const columns = { title: 'text', n: 'float8', tags: 'jsonb' } as const;
    return {
      open: async (name) =>
        createPostgresView(name, mode === 'typed columns' ? { pool, columns } : { pool }),
      cleanup: async () => {
        await pool.end();
      },
    };
  });
}

describe('postgres view', () => {
  let pool: pg.Pool;
  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: server.url, max: 2 });
    pool.on('error', () => undefined);
  });
  afterAll(async () => {
    await pool.end();
  });

  it('stores typed columns that SQL users can query, and reads them back exactly', async () => {
    const view = createPostgresView<Record<string, unknown>>('typed_rt', {
      pool,
      columns: {
        s: 'text',
        i: 'int4',
        big: 'int8',
        f: 'float8',
        dec: 'numeric',
        b: 'bool',
        at: 'timestamptz',
        j: 'jsonb',
      },
    });
    const v = view.version('v1');
    await v.open();
    const row = {
      s: "it's",
      i: 7,
      big: 2n ** 60n,
      f: 1.5,
      dec: '12.340',
      b: true,
      at: new Date('2024-05-01T10:00:00.123Z'),
      j: { nested: [1, 'x'], big: 9007199254740993n },
    };
    await v.apply(
      [
        { key: 'k', row },
        { key: 'n', row: { s: null } },
      ],
      { 't/0': 2 },
    );
    expect(await v.get('k')).toEqual(row);
    expect(await v.get('n')).toEqual({
      s: null,
      i: null,
      big: null,
      f: null,
      dec: null,
      b: null,
      at: null,
      j: null,
    });
    await view.promote('v1');
    const r = await pool.query(
      `SELECT dec + 1 AS d, j->'nested'->>1 AS x FROM typed_rt WHERE key = 'k'`,
    );
    expect(r.rows[0]).toEqual({ d: '13.340', x: 'x' });
  });

  it('rejects rows with fields that have no column (data would be lost)', async () => {
    const v = createPostgresView('strict_cols', { pool, columns: { a: 'text' } }).version('v1');
    await v.open();
    const err = await v.apply([{ key: 'k', row: { a: 'x', b: 1 } }], { 't/0': 1 }).catch((e) => e);
    expect(isUnbundledError(err, 'VIEW_ROW_INVALID')).toBe(true);
    expect(await v.position()).toBeNull();
  });

  it('rolls back data and position together when a batch fails mid-transaction', async () => {
    const v = createPostgresView('rollback', { pool, columns: { i: 'int4' } }).version('v1');
    await v.open();
    await v.apply([{ key: 'a', row: { i: 1 } }], { 't/0': 1 });
    const err = await v.apply([{ key: 'b', row: { i: 2 ** 40 } }], { 't/0': 2 }).catch((e) => e);
    expect(isUnbundledError(err, 'VIEW_STORE_FAILED')).toBe(true);
    expect(await v.get('b')).toBeUndefined();
    const fresh = createPostgresView('rollback', { pool, columns: { i: 'int4' } }).version('v1');
    expect(await fresh.open()).toEqual({ position: { 't/0': 1 } });
  });
});

describe('postgres view promotion', () => {
  it('keeps user views on the live view working across promotes, and changes columns', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    pool.on('error', () => undefined);
    const a = createPostgresView<{ total: number }>('orders_p', {
      pool,
      columns: { total: 'float8' },
    });
    for (const version of ['v1', 'v2']) {
      const v = a.version(version);
      await v.open();
      await v.apply([{ key: 'o1', row: { total: version === 'v1' ? 1 : 2 } }], { 't/0': 1 });
      await a.promote(version);
      if (version === 'v1')
        await pool.query('CREATE VIEW big_orders AS SELECT key FROM orders_p WHERE total > 1');
    }
    expect((await pool.query('SELECT key FROM big_orders')).rows).toEqual([{ key: 'o1' }]);
    // A version with different columns: the live view must be recreated, which the user view blocks.
    const b = createPostgresView<{ cents: number }>('orders_p', {
      pool,
      columns: { cents: 'int8' },
    });
    const v3 = b.version('v3');
    await v3.open();
    await v3.apply([{ key: 'o1', row: { cents: 300 } }], { 't/0': 1 });
    const err = await b.promote('v3').catch((e) => e);
    expect(isUnbundledError(err, 'VIEW_STORE_FAILED')).toBe(true);
    expect(await b.liveVersion()).toBe('v2');
    await pool.query('DROP VIEW big_orders');
    await b.promote('v3');
    expect(await b.get('o1')).toEqual({ cents: 300 });
    await pool.end();
  });
});

describe('postgres view schema', () => {
  it('refuses to open a version whose table has other columns', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    pool.on('error', () => undefined);
    await createPostgresView('schema_x', { pool, columns: { a: 'text' } })
      .version('v1')
      .open();
    const other = createPostgresView('schema_x', { pool, columns: { a: 'int8' } }).version('v1');
    const err = await other.open().catch((e) => e);
    expect(isUnbundledError(err, 'VIEW_SCHEMA_MISMATCH')).toBe(true);
    expect(err.message).toContain('(a text) but the view declares (a int8)');
    await pool.end();
  });
});
