import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { isUnbundledError } from '../../core/errors.ts';
import { runViewConformance } from '../conformance.ts';
import { createDuckDbView } from './duckdb-view.ts';

for (const mode of ['typed columns', 'json row'] as const) {
  runViewConformance(`duckdb (${mode})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ub-duck-'));
    const path = join(dir, 'views.duckdb');
    const columns = { title: 'text', n: 'float8', tags: 'jsonb' } as const;
    return {
      open: async (name) =>
        createDuckDbView(name, mode === 'typed columns' ? { path, columns } : { path }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });
}

describe('duckdb view', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const tempPath = async () => {
    const d = await mkdtemp(join(tmpdir(), 'ub-duck-'));
    dirs.push(d);
    return join(d, 'a.duckdb');
  };

  it('round-trips typed columns and exports the live version as Parquet', async () => {
    const path = await tempPath();
    const view = createDuckDbView<Record<string, unknown>>('sales', {
      path,
      columns: {
        cat: 'text',
        qty: 'int4',
        cents: 'int8',
        price: 'numeric',
        ok: 'bool',
        at: 'timestamptz',
        meta: 'jsonb',
      },
    });
    const v = view.version('v1');
    await v.open();
    const row = {
      cat: 'shoes',
      qty: 3,
      cents: 2n ** 60n,
      price: '12.34',
      ok: true,
      at: new Date('2024-05-01T10:00:00.123Z'),
      meta: { big: 2n ** 64n, list: [1, 'a'] },
    };
    await v.apply(
      [
        { key: 'a', row },
        { key: 'b', row: { ...row, cat: 'hats', cents: 5 } },
      ],
      { 's/0': 2 },
    );
    expect(await v.get('a')).toEqual(row);
    await view.promote('v1');
    expect(await view.query('SELECT cat, qty FROM sales ORDER BY cat')).toEqual([
      { cat: 'hats', qty: 3 },
      { cat: 'shoes', qty: 3 },
    ]);
    const file = join(path, '..', 'sales.parquet');
    await view.exportParquet(file);
    const check = await (await DuckDBInstance.create(':memory:')).connect();
    const r = await check.runAndReadAll(
      `SELECT key, cents FROM read_parquet('${file}') ORDER BY key`,
    );
    expect(r.getRowObjectsJS()).toEqual([
      { key: 'a', cents: 2n ** 60n },
      { key: 'b', cents: 5n },
    ]);
    check.closeSync();
    await view.close();
  });

  it('rolls back staged rows and position together when the merge fails', async () => {
    const path = await tempPath();
    const view = createDuckDbView<{ n: unknown }>('bad', { path, columns: { n: 'numeric' } });
    const v = view.version('v1');
    await v.open();
    await v.apply([{ key: 'a', row: { n: '1.5' } }], { 't/0': 1 });
    const err = await v
      .apply([{ key: 'b', row: { n: 'not a number' } }], { 't/0': 2 })
      .catch((e) => e);
    expect(isUnbundledError(err, 'VIEW_STORE_FAILED')).toBe(true);
    expect(await v.position()).toEqual({ 't/0': 1 });
    expect((await v.scan({ limit: 10 })).rows.map((r) => r.key)).toEqual(['a']);
    await v.apply([{ key: 'c', row: { n: 2 } }], { 't/0': 2 });
    expect((await v.scan({ limit: 10 })).rows.map((r) => r.key)).toEqual(['a', 'c']);
    await view.close();
  });

  it('opens several views of one database file concurrently', async () => {
    const path = await tempPath();
    const views = ['a', 'b', 'c', 'd'].map((n) => createDuckDbView<{ x: number }>(n, { path }));
    await Promise.all(views.map((v) => v.version('v1').open()));
    await Promise.all(
      views.map(async (v) => {
        const s = v.version('v1');
        await s.open();
        await s.apply([{ key: 'k', row: { x: 1 } }], { 't/0': 1 });
        await v.promote('v1');
      }),
    );
    for (const v of views) expect(await v.get('k')).toEqual({ x: 1 });
    for (const v of views) await v.close();
  });
});
