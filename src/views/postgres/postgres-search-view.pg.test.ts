import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import { runViewConformance } from '../conformance.ts';
import { createPostgresSearchView } from './postgres-search-view.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

runViewConformance('postgres full-text', async () => {
  const pool = new pg.Pool({ connectionString: server.url, max: 4 });
  pool.on('error', () => undefined);
  const columns = { title: 'text', n: 'float8', tags: 'jsonb' } as const;
  return {
    open: async (name) =>
      createPostgresSearchView(name, { pool, columns, fields: ['title', 'tags'] }),
    cleanup: () => pool.end(),
  };
});

describe('postgres full-text view', () => {
  it('ranks matches of the live version and follows updates and deletes', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    pool.on('error', () => undefined);
    for (const columns of [{ name: 'text', color: 'text' } as const, undefined]) {
      const name = columns ? 'products_typed' : 'products_json';
      const view = createPostgresSearchView<{ name: string; color: string }>(name, {
        pool,
        ...(columns ? { columns } : {}),
        fields: ['name', 'color'],
      });
      expect(await view.search('shoe')).toEqual([]);
      const v = view.version('v1');
      await v.open();
      await v.apply(
        [
          { key: 'p1', row: { name: 'running shoes', color: 'blue' } },
          { key: 'p2', row: { name: 'shoe laces', color: 'red' } },
          { key: 'p3', row: { name: 'rain jacket', color: 'blue' } },
        ],
        { 'p/0': 3 },
      );
      await view.promote('v1');
      expect((await view.search('shoe')).map((h) => h.key).sort()).toEqual(['p1', 'p2']);
      expect((await view.search('blue -jacket')).map((h) => h.key)).toEqual(['p1']);
      await v.apply([{ key: 'p1', row: null }], { 'p/0': 4 });
      const hits = await view.search('shoe');
      expect(hits).toEqual([
        { key: 'p2', score: expect.any(Number), row: { name: 'shoe laces', color: 'red' } },
      ]);
    }
    await pool.end();
  });
});
