import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADERS, isUnbundledError, utf8 } from '../../core/index.ts';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import { postgres } from './postgres-source.ts';
import { sql, tempLog, until } from './test-support.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const quiet = { onSnapshotProgress: () => {} };

async function failure(run: (signal: AbortSignal) => Promise<void>): Promise<unknown> {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), 20_000);
  try {
    await run(ac.signal);
    return null;
  } catch (err) {
    return err;
  } finally {
    clearTimeout(t);
  }
}

describe('actionable capture errors', () => {
  it('wal_level not logical', async () => {
    const replica = await startPostgres({ walLevel: 'replica' });
    const { log, cleanup } = await tempLog();
    try {
      await sql(replica.url, 'CREATE TABLE t (id int PRIMARY KEY)');
      const err = await failure((s) =>
        postgres({ connection: replica.url, tables: ['t'], ...quiet }).run(log, s),
      );
      expect(isUnbundledError(err, 'CAPTURE_WAL_LEVEL')).toBe(true);
      expect((err as Error).message).toMatch(/ALTER SYSTEM SET wal_level = logical/);
    } finally {
      await cleanup();
      await replica.stop();
    }
  });

  it('role without REPLICATION, table without primary key', async () => {
    const url = await server.createDatabase('errs');
    await sql(url, 'CREATE TABLE nopk (v int)');
    await sql(url, 'CREATE TABLE ok (id int PRIMARY KEY)');
    await sql(url, 'CREATE ROLE app LOGIN');
    const { log, cleanup } = await tempLog();
    try {
      const appUrl = url.replace('postgres@', 'app@');
      let err = await failure((s) =>
        postgres({ connection: appUrl, tables: ['ok'], ...quiet }).run(log, s),
      );
      expect(isUnbundledError(err, 'CAPTURE_NO_REPLICATION_ROLE')).toBe(true);
      expect((err as Error).message).toMatch(/ALTER ROLE "app" WITH REPLICATION/);
      err = await failure((s) =>
        postgres({ connection: url, tables: ['nopk'], ...quiet }).run(log, s),
      );
      expect(isUnbundledError(err, 'CAPTURE_NO_PRIMARY_KEY')).toBe(true);
      expect((err as Error).message).toMatch(/REPLICA IDENTITY FULL/);
    } finally {
      await cleanup();
    }
  });

  it('slot in use by another consumer (retryable, reported while waiting)', async () => {
    const url = await server.createDatabase('inuse');
    await sql(url, 'CREATE TABLE t (id int PRIMARY KEY)');
    const a = await tempLog();
    const b = await tempLog();
    const ac = new AbortController();
    const first = postgres({ connection: url, tables: ['t'], slot: 'inuse', ...quiet });
    const running = first.run(a.log, ac.signal);
    try {
      await until(async () => first.current.type === 'streaming');
      const second = postgres({
        connection: url,
        tables: ['t'],
        slot: 'inuse',
        slotBusyWaitMs: 300,
        ...quiet,
      });
      const ac2 = new AbortController();
      const seen: string[] = [];
      const watcher = (async () => {
        for await (const s of second.status(ac2.signal)) {
          if (s.type === 'retrying') {
            seen.push(s.error.code);
            ac2.abort();
          }
        }
      })();
      const r2 = second.run(b.log, ac2.signal);
      await r2;
      await watcher;
      expect(seen[0]).toBe('CAPTURE_SLOT_IN_USE');
    } finally {
      ac.abort();
      await running;
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('slot invalidated (max_slot_wal_keep_size exceeded while stopped)', async () => {
    const small = await startPostgres({
      config: { max_slot_wal_keep_size: '1MB', min_wal_size: '32MB', max_wal_size: '64MB' },
    });
    const { log, cleanup } = await tempLog();
    try {
      await sql(small.url, 'CREATE TABLE t (id int PRIMARY KEY, pad text)');
      const src = postgres({ connection: small.url, tables: ['t'], ...quiet });
      const ac = new AbortController();
      const running = src.run(log, ac.signal);
      await until(async () => src.current.type === 'streaming');
      ac.abort();
      await running;
      for (let i = 0; i < 4; i++) {
        await sql(
          small.url,
          `INSERT INTO t SELECT g, repeat('x', 500) FROM generate_series(${i * 20000 + 1}, ${(i + 1) * 20000}) g`,
        );
        await sql(small.url, 'SELECT pg_switch_wal()');
        await sql(small.url, 'CHECKPOINT');
      }
      const status = await sql(
        small.url,
        "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'unbundled'",
      );
      expect(status.rows[0]?.wal_status).toBe('lost');
      const err = await failure((s) =>
        postgres({ connection: small.url, tables: ['t'], ...quiet }).run(log, s),
      );
      expect(isUnbundledError(err, 'CAPTURE_SLOT_INVALIDATED')).toBe(true);
    } finally {
      await cleanup();
      await small.stop();
    }
  });

  it('database replaced (system identifier changed)', async () => {
    const url = await server.createDatabase('replaced');
    const { log, cleanup } = await tempLog();
    try {
      await sql(url, 'CREATE TABLE t (id int PRIMARY KEY)');
      // The log remembers the cluster it captured from; pretend it was another one. (Private test
      // clusters are copied from one template, so they share a system identifier.)
      await log.ensureTopic('pg.capture', { partitions: 1 });
      await log.append('pg.capture', 0, [
        {
          key: null,
          value: utf8(JSON.stringify({ type: 'system', systemId: '6999999999999999999' })),
          headers: { [HEADERS.contentType]: 'json' },
        },
      ]);
      const err = await failure((s) =>
        postgres({ connection: url, tables: ['t'], slot: 'replaced', ...quiet }).run(log, s),
      );
      expect(isUnbundledError(err, 'CAPTURE_DATABASE_REPLACED')).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
