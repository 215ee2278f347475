import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowChange } from '../../core/index.ts';
import { openEmbeddedLog } from '../../log/index.ts';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import { readTopic, sql, tempLog } from './test-support.ts';

/*
 * SIGKILL the capture process at random points, >= 50 times (UNBUNDLED_FAULT_ITERATIONS), while
 * a pgbench-like workload runs: single- and multi-statement transactions of inserts, updates and
 * deletes, some large (1,000 rows), some rolled back. Afterwards the log must hold every
 * committed change exactly once, in commit order, whole transactions, and no aborted one.
 *
 * Planted-bug check (done by hand, 2026-11-21): (1) acknowledging the commit LSN to Postgres as
 * soon as the Commit message arrived (before the log append) made this test fail with committed
 * changes missing from the log; (2) disabling the partition-tail dedupe in ChangeWriter
 * (#isDuplicate → false) made it fail with duplicated changes. Both bugs were then removed.
 */

const KILLS = Number(process.env.UNBUNDLED_FAULT_ITERATIONS ?? 50);
const CHILD = fileURLToPath(new URL('./fault-child.ts', import.meta.url));

interface Expected {
  readonly op: string;
  readonly id: string;
  readonly balance: string | null;
}

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

function startChild(url: string, dir: string): { child: ChildProcess; streaming: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, CDC_URL: url, CDC_LOG_DIR: dir, CDC_TABLES: 'accounts' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => {
    if (process.env.CDC_DEBUG) process.stderr.write(d);
  });
  const streaming = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('streaming')) resolve();
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`capture child exited ${code ?? signal}`)),
    );
  });
  streaming.catch(() => {});
  return { child, streaming };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Runs transactions one after another (commit order = run order) and records the oracle. */
async function workload(url: string, stop: { done: boolean }, expected: Expected[][]) {
  const c = new pg.Client(url);
  await c.connect();
  let nextId = 1;
  const rnd = (n: number) => Math.floor(Math.random() * n);
  try {
    while (!stop.done) {
      const tx: Expected[] = [];
      await c.query('BEGIN');
      const statements = 1 + rnd(4);
      for (let s = 0; s < statements; s++) {
        const kind = rnd(10);
        let r: pg.QueryResult;
        if (kind < 4) {
          r = await c.query('INSERT INTO accounts VALUES ($1, $2) RETURNING id, balance', [
            nextId++,
            rnd(1000),
          ]);
          for (const row of r.rows)
            tx.push({ op: 'c', id: String(row.id), balance: String(row.balance) });
        } else if (kind < 7) {
          r = await c.query(
            'UPDATE accounts SET balance = balance + 1 WHERE id BETWEEN $1 AND $1 + 3 RETURNING id, balance',
            [1 + rnd(nextId)],
          );
          for (const row of r.rows)
            tx.push({ op: 'u', id: String(row.id), balance: String(row.balance) });
        } else if (kind < 9) {
          r = await c.query('DELETE FROM accounts WHERE id = $1 RETURNING id', [1 + rnd(nextId)]);
          for (const row of r.rows) tx.push({ op: 'd', id: String(row.id), balance: null });
        } else {
          const n = rnd(20) === 0 ? 1000 : 20;
          r = await c.query(
            'INSERT INTO accounts SELECT g, 7 FROM generate_series($1::int, $2::int) g RETURNING id, balance',
            [nextId, nextId + n - 1],
          );
          nextId += n;
          for (const row of r.rows)
            tx.push({ op: 'c', id: String(row.id), balance: String(row.balance) });
        }
      }
      if (rnd(8) === 0) {
        await c.query('ROLLBACK');
      } else {
        await c.query('COMMIT');
        if (tx.length > 0) expected.push(tx);
      }
    }
  } finally {
    await c.end();
  }
}

describe('postgres capture under SIGKILL', () => {
  it(`holds every committed change exactly once, in commit order, after ${KILLS} kills`, async () => {
    const url = await server.createDatabase('fault');
    await sql(url, 'CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)');
    const { dir, log: initial, cleanup } = await tempLog();
    await initial.close();
    try {
      // First run: create the slot and finish the (empty) snapshot before the chaos starts.
      let run = startChild(url, dir);
      await run.streaming;
      const stop = { done: false };
      const expected: Expected[][] = [];
      const load = workload(url, stop, expected);
      for (let i = 0; i < KILLS; i++) {
        if (i > 0) run = startChild(url, dir);
        // Mostly mid-stream (after it streams), sometimes during start-up / slot acquisition.
        if (Math.random() < 0.75) await run.streaming.catch(() => {});
        await new Promise((r) => setTimeout(r, Math.random() * 500));
        run.child.kill('SIGKILL');
        await exited(run.child);
      }
      stop.done = true;
      await load;
      // Final run: catch up, then stop gracefully.
      const want = expected.reduce((n, tx) => n + tx.length, 0);
      run = startChild(url, dir);
      await run.streaming;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const slot = await sql(
          url,
          "SELECT confirmed_flush_lsn >= pg_current_wal_insert_lsn() AS done FROM pg_replication_slots WHERE slot_name = 'unbundled'",
        );
        if (slot.rows[0]?.done || Date.now() > deadline) break;
        await sql(url, "SELECT pg_logical_emit_message(false, 'test', 'x')");
        await new Promise((r) => setTimeout(r, 300));
      }
      run.child.kill('SIGTERM');
      await exited(run.child);

      const log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0 });
      try {
        const recs = await readTopic(log, 'pg.public.accounts');
        const rows = recs.filter((r) => r.event.kind === 'row');
        const got = rows.map((r) => {
          const ev = r.event as RowChange;
          const row = ev.after ?? ev.before!;
          return {
            op: ev.op,
            id: row.id as string,
            balance: ev.after ? (ev.after.balance as string) : null,
          };
        });
        if (process.env.CDC_DEBUG) console.log(`${expected.length} transactions, ${want} changes`);
        expect(got.length).toBe(want);
        expect(got).toEqual(expected.flat());
        // Whole transactions: per source transaction, exactly one commit marker, on its last record.
        const txs = (await readTopic(log, 'pg.transactions')).filter(
          (t) => t.event.kind === 'tx' && t.event.txId !== null,
        );
        expect(txs.length).toBe(expected.length);
        const marked = recs.filter(
          (r) =>
            r.commit &&
            (r.event.kind === 'row' || (r.event.kind === 'tx' && r.event.txId !== null)),
        );
        expect(marked.length).toBe(expected.length);
        for (const tx of txs) {
          if (tx.event.kind !== 'tx') continue;
          expect(Object.values(tx.event.topics).reduce((a, b) => a + b, 0)).toBe(
            tx.event.eventCount,
          );
        }
      } finally {
        await log.close();
      }
    } finally {
      await cleanup();
    }
  }, 600_000);
});
