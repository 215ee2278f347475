import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUnbundledError, type RowChange, type SchemaChange } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import type { CaptureStatus } from './capture-status.ts';
import { type PostgresSource, postgres } from './postgres-source.ts';
import { readTopic, sql, tempLog, until } from './test-support.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function rows(log: Log, topic = 'pg.public.t'): Promise<RowChange[]> {
  return (await readTopic(log, topic))
    .filter((r) => r.event.kind === 'row')
    .map((r) => r.event as RowChange);
}

function start(source: PostgresSource, log: Log) {
  const ac = new AbortController();
  const statuses: CaptureStatus[] = [];
  void (async () => {
    for await (const s of source.status(ac.signal)) statuses.push(s);
  })();
  const running = source.run(log, ac.signal);
  running.catch(() => {});
  const stop = async () => {
    ac.abort();
    await running;
  };
  return { ac, running, statuses, stop };
}

const fast = { onSnapshotProgress: () => {}, statusIntervalMs: 200, heartbeatMs: 200 };

describe('postgres capture recovery', () => {
  it('survives a Postgres restart and pg_terminate_backend mid-stream, exactly once', async () => {
    const url = await server.createDatabase('restart');
    await sql(url, 'CREATE TABLE t (id int PRIMARY KEY, v int)');
    const { log, cleanup } = await tempLog();
    const cap = start(postgres({ connection: url, tables: ['t'], ...fast }), log);
    try {
      let n = 0;
      const insert = async (count: number) => {
        for (let i = 0; i < count; i++) await sql(url, 'INSERT INTO t VALUES ($1, 0)', [++n]);
      };
      await until(async () => cap.statuses.some((s) => s.type === 'streaming'));
      await insert(20);
      await until(async () => (await rows(log)).length >= 10);
      await sql(
        url,
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'unbundled'",
      );
      await insert(20);
      await server.restart();
      await insert(20);
      await until(async () => (await rows(log)).length >= 60, 90_000).catch(async (e) => {
        const seen = cap.statuses.map((s) =>
          s.type === 'retrying' || s.type === 'failed'
            ? `${s.type}:${s.error.code}:${s.error.message}`
            : s.type,
        );
        throw new Error(
          `${e.message}: ${(await rows(log)).length} rows; statuses ${JSON.stringify(seen.slice(-8))}`,
        );
      });
      expect(
        cap.statuses.some(
          (s) => s.type === 'retrying' && s.error.code === 'CAPTURE_CONNECTION_LOST',
        ),
      ).toBe(true);
      const ids = (await rows(log)).map((r) => Number(r.after!.id));
      expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    } finally {
      await cap.stop();
      await cleanup();
    }
  }, 150_000);

  it('carries DDL (add/drop/alter column, new table, TRUNCATE) with schema versions', async () => {
    const url = await server.createDatabase('ddl');
    await sql(url, 'CREATE TABLE t (id int PRIMARY KEY, a text)');
    const { log, cleanup } = await tempLog();
    const cap = start(postgres({ connection: url, tables: 'all', slot: 'ddl', ...fast }), log);
    try {
      await until(async () => cap.statuses.some((s) => s.type === 'streaming'));
      await sql(url, "INSERT INTO t VALUES (1, 'x')");
      await sql(url, 'ALTER TABLE t ADD COLUMN b int8 DEFAULT 7');
      await sql(url, "INSERT INTO t VALUES (2, 'y', 9007199254740993)");
      await sql(url, 'ALTER TABLE t DROP COLUMN a');
      await sql(url, 'ALTER TABLE t ALTER COLUMN b TYPE numeric');
      await sql(url, 'UPDATE t SET b = 1.5 WHERE id = 1');
      await sql(url, 'CREATE TABLE u (k text PRIMARY KEY)');
      await sql(url, "INSERT INTO u VALUES ('new')");
      await sql(url, 'TRUNCATE t');
      await until(async () => (await rows(log)).some((r) => r.op === 't'));
      await until(async () => (await rows(log, 'pg.public.u')).length === 1);
      const recs = await readTopic(log, 'pg.public.t');
      const schemas = recs
        .filter((r) => r.event.kind === 'schema')
        .map((r) => r.event as SchemaChange);
      const shapes = [...new Set(schemas.map((s) => s.version))].map((v) => {
        const s = schemas.find((x) => x.version === v)!;
        return s.columns.map((c) => `${c.name}:${c.typeName}`).join(',');
      });
      // Relation messages come with the next row: DROP then ALTER with no row between is one version.
      expect(shapes).toEqual(['id:int4,a:text', 'id:int4,a:text,b:int8', 'id:int4,b:numeric']);
      const rs = await rows(log);
      expect(rs.map((r) => `${r.op}@v${r.source.schemaVersion}`)).toEqual([
        'c@v1',
        'c@v2',
        'u@v3',
        't@v3',
      ]);
      expect(rs[1]!.after).toEqual({ id: '2', a: 'y', b: '9007199254740993' });
      expect(rs[2]!.after).toEqual({ id: '1', b: '1.5' });
      expect((await rows(log, 'pg.public.u'))[0]!.after).toEqual({ k: 'new' });
    } finally {
      await cap.stop();
      await cleanup();
    }
  });

  it('fails loudly when the slot was dropped behind its back', async () => {
    const url = await server.createDatabase('dropped');
    await sql(url, 'CREATE TABLE t (id int PRIMARY KEY)');
    const { log, cleanup } = await tempLog();
    try {
      const source = postgres({ connection: url, tables: ['t'], slot: 'dropped', ...fast });
      const cap = start(source, log);
      await until(async () => cap.statuses.some((s) => s.type === 'streaming'));
      await sql(url, 'INSERT INTO t VALUES (1)');
      await until(async () => (await rows(log)).length === 1);
      // drop it while the capture is connected: terminate the walsender, drop before it reconnects
      await sql(
        url,
        `DO $$ BEGIN
           FOR i IN 1..500 LOOP
             PERFORM pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'dropped';
             BEGIN
               PERFORM pg_drop_replication_slot('dropped');
               RETURN;
             EXCEPTION WHEN object_in_use THEN PERFORM pg_sleep(0.01);
             END;
           END LOOP;
         END $$`,
      );
      const err = await cap.running.then(
        () => null,
        (e) => e,
      );
      expect(isUnbundledError(err, 'CAPTURE_SLOT_DROPPED')).toBe(true);
      expect(source.current.type).toBe('failed');
    } finally {
      await cleanup();
    }
  });

  it('reports slot lag in bytes and seconds', async () => {
    const url = await server.createDatabase('lag');
    await sql(url, 'CREATE TABLE t (id int PRIMARY KEY)');
    const { log, cleanup } = await tempLog();
    const source = postgres({ connection: url, tables: ['t'], slot: 'lag', ...fast });
    const cap = start(source, log);
    try {
      await until(async () => cap.statuses.some((s) => s.type === 'streaming'));
      await sql(url, 'INSERT INTO t SELECT generate_series(1, 100)');
      await until(async () => (await rows(log)).length === 100);
      await until(async () => (await source.lag()).bytes === 0, 10_000);
      const lag = await source.lag();
      expect(lag).toEqual({ bytes: 0, seconds: 0 });
    } finally {
      await cap.stop();
      await cleanup();
    }
  });
});
