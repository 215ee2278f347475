import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startPostgres } from './postgres.ts';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('startPostgres', () => {
  const instances: { stop(): Promise<void> }[] = [];
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stop()));
  });

  it('starts a logical-replication-ready server, survives SIGKILL + restart, cleans up', async () => {
    const server = await startPostgres();
    instances.push(server);
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    const [settings] = await query<{ wal_level: string; fsync: string }>(
      server.url,
      `SELECT current_setting('wal_level') AS wal_level, current_setting('fsync') AS fsync`,
    );
    expect(settings).toEqual({ wal_level: 'logical', fsync: 'on' });

    await query(server.url, 'CREATE TABLE t (id int PRIMARY KEY, v text)');
    await query(server.url, `INSERT INTO t VALUES (1, 'committed before the crash')`);
    await server.kill();
    await expect(query(server.url, 'SELECT 1')).rejects.toThrow();
    await server.restart(); // crash recovery from the WAL
    expect(await query(server.url, 'SELECT * FROM t')).toEqual([
      { id: 1, v: 'committed before the crash' },
    ]);

    await server.restart(); // a clean restart too
    const dbUrl = await server.createDatabase('other db');
    expect(await query(dbUrl, 'SELECT current_database() AS db')).toEqual([{ db: 'other db' }]);

    await server.stop();
    expect(existsSync(server.dataDir)).toBe(false);
    await server.stop(); // idempotent
  });

  it('honours walLevel and config, and runs instances side by side', async () => {
    const [a, b] = await Promise.all([
      startPostgres({ walLevel: 'replica', config: { max_connections: '42' } }),
      startPostgres(),
    ]);
    instances.push(a, b);
    expect(a.port).not.toBe(b.port);
    expect(
      await query(
        a.url,
        `SELECT current_setting('wal_level') AS w, current_setting('max_connections') AS m`,
      ),
    ).toEqual([{ w: 'replica', m: '42' }]);
    // A replication connection works (trust auth covers replication in pg_hba).
    const repl = new pg.Client({
      connectionString: b.url,
      replication: 'database',
    } as pg.ClientConfig);
    await repl.connect();
    const res = await repl.query('IDENTIFY_SYSTEM');
    expect(res.rows).toHaveLength(1);
    await repl.end();
  });
});
