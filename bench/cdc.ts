/**
 * Postgres CDC benchmark (`npm run bench -- cdc [--rows N] [--seconds S]`), on a private Postgres:
 * - backlog: N committed rows (1,000-row transactions) drained from the slot into the durable
 *   embedded log, vs `pg_recvlogical` draining the same WAL through a second pgoutput slot to a file;
 * - live: commit → durable-in-log latency (commit timestamp to the transactions-topic record being
 *   readable) with pgbench at 1k tx/s, and at the highest rate pgbench reaches;
 * - pgbench TPS with the capture attached vs without.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { postgres } from '../src/capture/index.ts';
import { decodeChange, parseLsn } from '../src/core/index.ts';
import { type Log, openEmbeddedLog } from '../src/log/index.ts';
import { postgresBinDir, startPostgres } from '../src/testing/index.ts';
import type { BenchResult } from './run.ts';

const quiet = { info() {}, warn() {}, error() {} };

function arg(args: readonly string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

async function q(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

function run(cmd: string, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out}`)),
    );
  });
}

async function withLog<T>(f: (log: Log) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ub-bench-cdc-'));
  const log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0, logger: quiet });
  try {
    return await f(log);
  } finally {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitAcked(source: ReturnType<typeof postgres>, lsn: bigint): Promise<void> {
  for (;;) {
    const s = source.current;
    if (s.type === 'streaming' && parseLsn(s.ackedLsn) >= lsn) return;
    if (s.type === 'failed') throw s.error;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Tail the transactions topic; latency = now − source commit time of each transaction. */
function latencyTail(log: Log, signal: AbortSignal): number[] {
  const lat: number[] = [];
  void (async () => {
    const topics = await log.listTopics();
    if (!topics.some((t) => t.name === 'pg.transactions')) return;
    const { end } = await log.offsets('pg.transactions', 0);
    for await (const batch of log.read('pg.transactions', 0, end, { signal })) {
      const now = Date.now();
      for (const r of batch) {
        const ev = decodeChange(r.value!);
        if (ev.kind === 'tx') lat.push(now - ev.ts_ms);
      }
    }
  })();
  return lat;
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? Number.NaN;
}

async function pgbench(
  url: string,
  script: string,
  seconds: number,
  rate?: number,
): Promise<number> {
  const argv = ['-n', '-f', script, '-T', String(seconds), '-c', '4', '-j', '2'];
  if (rate) argv.push('-R', String(rate));
  const out = await run(join(postgresBinDir(), 'pgbench'), [...argv, url]);
  const m = /tps = ([\d.]+)/.exec(out);
  return m ? Number(m[1]) : Number.NaN;
}

export default async function cdc(args: readonly string[]): Promise<BenchResult> {
  const rows = arg(args, '--rows', 1_000_000);
  const seconds = arg(args, '--seconds', 10);
  const server = await startPostgres({
    config: { max_wal_size: '4GB', logical_decoding_work_mem: '256MB' },
  });
  const url = await server.createDatabase('bench');
  const dir = await mkdtemp(join(tmpdir(), 'ub-bench-cdc-'));
  try {
    await q(url, 'CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL, b text)');
    // --- backlog ---
    const backlog = await withLog(async (log) => {
      const source = postgres({
        connection: url,
        tables: ['t'],
        snapshot: false,
        onSnapshotProgress: () => {},
      });
      let ac = new AbortController();
      let running = source.run(log, ac.signal);
      while (source.current.type !== 'streaming') await new Promise((r) => setTimeout(r, 20));
      ac.abort();
      await running;
      await q(url, "SELECT pg_create_logical_replication_slot('recv', 'pgoutput')");
      process.stderr.write(`cdc: inserting ${rows} rows in 1,000-row transactions\n`);
      for (let i = 0; i < rows; i += 100_000) {
        const n = Math.min(100_000, rows - i);
        await q(
          url,
          `DO $$ BEGIN FOR k IN 0..${n / 1000 - 1} LOOP
             INSERT INTO t SELECT g, g % 97, 'row ' || g FROM generate_series(${i} + k * 1000 + 1, ${i} + k * 1000 + 1000) g;
             COMMIT; END LOOP; END $$`,
        );
      }
      const endLsn = (await q(url, 'SELECT pg_current_wal_lsn()::text AS l')).rows[0].l as string;
      const t0 = performance.now();
      await run('pg_recvlogical', [
        '-d',
        url,
        '--slot',
        'recv',
        '--start',
        '-E',
        endLsn,
        '-n',
        '-o',
        'proto_version=1',
        '-o',
        'publication_names=unbundled',
        '-f',
        join(dir, 'recv.out'),
      ]);
      const recvSecs = (performance.now() - t0) / 1000;
      await q(url, "SELECT pg_drop_replication_slot('recv')");
      ac = new AbortController();
      const t1 = performance.now();
      running = source.run(log, ac.signal);
      await waitAcked(source, parseLsn(endLsn) - 1n);
      const capSecs = (performance.now() - t1) / 1000;
      ac.abort();
      await running;
      return { cap: rows / capSecs, recv: rows / recvSecs };
    });
    await q(url, 'TRUNCATE t');
    // --- live ---
    const script = join(dir, 'tx.sql');
    await writeFile(
      script,
      "\\set id random(1, 50000000)\nINSERT INTO t VALUES (:id, 1, 'live') ON CONFLICT (id) DO UPDATE SET a = t.a + 1;\n",
    );
    const tpsWithout = await pgbench(url, script, seconds);
    const live = await withLog(async (log) => {
      const source = postgres({
        connection: url,
        tables: ['t'],
        snapshot: false,
        slot: 'live',
        onSnapshotProgress: () => {},
      });
      const ac = new AbortController();
      const running = source.run(log, ac.signal);
      while (source.current.type !== 'streaming') await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      const tail = new AbortController();
      let lat = latencyTail(log, tail.signal);
      await pgbench(url, script, seconds, 1000);
      await new Promise((r) => setTimeout(r, 500));
      const at1k = pct(lat, 0.99);
      const p50at1k = pct(lat, 0.5);
      const n1k = lat.length;
      tail.abort();
      const tail2 = new AbortController();
      lat = latencyTail(log, tail2.signal);
      const tpsWith = await pgbench(url, script, seconds);
      await new Promise((r) => setTimeout(r, 1000));
      const atMax = pct(lat, 0.99);
      tail2.abort();
      ac.abort();
      await running;
      return { at1k, p50at1k, n1k, atMax, tpsWith };
    });
    const figures = {
      rows,
      backlog_rows_per_s: Math.round(backlog.cap),
      baseline_recvlogical_rows_per_s: Math.round(backlog.recv),
      ratio_backlog: Number((backlog.cap / backlog.recv).toFixed(3)),
      live_p99_ms: live.at1k,
      live_p50_ms: live.p50at1k,
      live_tx_measured_1k: live.n1k,
      live_p99_ms_max_tps: live.atMax,
      tps_without_capture: Math.round(tpsWithout),
      tps_with_capture: Math.round(live.tpsWith),
      tps_drop_pct: Number((((tpsWithout - live.tpsWith) / tpsWithout) * 100).toFixed(1)),
    };
    return {
      table: [
        ['measure', 'value'],
        ['backlog drain (capture → durable log)', `${figures.backlog_rows_per_s} rows/s`],
        ['pg_recvlogical (same WAL, to file)', `${figures.baseline_recvlogical_rows_per_s} rows/s`],
        ['ratio', String(figures.ratio_backlog)],
        ['commit → durable p99 @1k tx/s', `${figures.live_p99_ms} ms`],
        ['commit → durable p99 @max', `${figures.live_p99_ms_max_tps} ms`],
        [
          'pgbench TPS without / with capture',
          `${figures.tps_without_capture} / ${figures.tps_with_capture}`,
        ],
      ],
      figures,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await server.stop();
  }
}
