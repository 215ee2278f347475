import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RowChange, type SchemaChange, UNCHANGED_TOAST } from '../../core/index.ts';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import { postgres } from './postgres-source.ts';
import { readTopic, sql, tempLog, until } from './test-support.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe('postgres capture', () => {
  it('snapshots, then streams inserts/updates/deletes with boundaries, exactly once across restarts', async () => {
    const url = await server.createDatabase('basic');
    await sql(url, 'CREATE TABLE items (id int8 PRIMARY KEY, name text, big text)');
    await sql(url, "INSERT INTO items SELECT g, 'n' || g, NULL FROM generate_series(1, 100) g");
    const { log, cleanup } = await tempLog();
    try {
      const source = postgres({ connection: url, tables: ['items'], onSnapshotProgress: () => {} });
      let ac = new AbortController();
      let running = source.run(log, ac.signal);
      await until(async () => (await readTopic(log, 'pg.public.items')).length >= 101);
      await sql(
        url,
        `BEGIN; INSERT INTO items VALUES (1000, 'a',
        (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 3000)));
        UPDATE items SET name = 'b' WHERE id = 1000; DELETE FROM items WHERE id = 1; COMMIT`,
      );
      await until(async () => (await readTopic(log, 'pg.transactions')).length >= 2);
      ac.abort();
      await running;
      // changes while stopped are not lost
      await sql(url, "UPDATE items SET name = 'c' WHERE id = 1000");
      ac = new AbortController();
      running = source.run(log, ac.signal);
      await until(async () => (await readTopic(log, 'pg.transactions')).length >= 3);
      ac.abort();
      await running;

      const recs = await readTopic(log, 'pg.public.items');
      const schema = recs[0]!.event as SchemaChange;
      expect(schema.kind).toBe('schema');
      expect(schema.columns.map((c) => [c.name, c.typeName, c.isKey])).toEqual([
        ['id', 'int8', true],
        ['name', 'text', false],
        ['big', 'text', false],
      ]);
      const rows = recs.filter((r) => r.event.kind === 'row').map((r) => r.event as RowChange);
      expect(rows.slice(0, 100).every((r) => r.op === 'r' && r.source.snapshot)).toBe(true);
      expect(recs[100]!.commit).toBe(true);
      const live = rows.slice(100);
      expect(live.map((r) => r.op)).toEqual(['c', 'u', 'd', 'u']);
      expect((live[0]!.after!.big as string).length).toBe(96000);
      // an unchanged TOASTed value in a later update: marked, never NULL
      expect(live[1]!.after!.big === null).toBe(false);
      expect(live[3]!.after!.big === UNCHANGED_TOAST).toBe(true);
      expect(live[2]!.before).toEqual({ id: '1' });
      expect(live[0]!.source.txId).toBe(live[2]!.source.txId);
      const txs = await readTopic(log, 'pg.transactions');
      expect(txs.map((t) => (t.event.kind === 'tx' ? t.event.eventCount : -1))).toEqual([
        100, 3, 1,
      ]);
    } finally {
      await cleanup();
    }
  });
});
