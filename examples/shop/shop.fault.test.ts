/**
 * SIGKILL fault test of the whole runtime against real servers: a private Postgres is the
 * source of truth (logical replication capture) and holds the order_details table view, Redis
 * holds the order_by_id cache, DuckDB the revenue analytics, MiniSearch the product search and
 * memory the top products. While the shop load writes to Postgres from this process, a child
 * process running the runtime is SIGKILLed at random moments (during start-up, snapshot,
 * catch-up, live) — 50 times by default, UNBUNDLED_FAULT_ITERATIONS for more. Afterwards the
 * runtime is started once more here, and once it has caught up every view must equal both its
 * recomputation from scratch and its SQL oracle: nothing lost, nothing applied twice.
 *
 * What it caught (each seen failing, then fixed or removed):
 * - real bugs: a kill between creating the slot and recording it skipped the initial snapshot;
 *   a kill after the snapshot's commit made the capture refuse to start; a resumed view lost
 *   its table schema and dead-lettered every row; replaying one input silently while another
 *   went live moved a view's position backwards (VIEW_POSITION_CONFLICT).
 *   A redone initial snapshot left rows of the partial one that had been deleted meanwhile
 *   (now each table of a redone snapshot starts with a truncate).
 * - planted: reading the log from the store's position without restoring the checkpoint
 *   (failed with SYSTEM_SCHEMA_UNKNOWN in the children).
 * Not caught (three attempts): restoring the checkpoint's schemas but not the operator state.
 * Most restarts replay the small inputs from offset 0 anyway, so little state is really lost;
 * a load with more product/user churn across kills is the next step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgSqlClient, type Runtime, type SqlClient, startSystem } from '../../src/system/index.ts';
import {
  type PostgresInstance,
  type RedisInstance,
  startPostgres,
  startRedis,
} from '../../src/testing/index.ts';
import { ShopLoad } from './load.ts';
import { compareWithOracles } from './oracle.ts';
import system, { orders, products, users } from './unbundled.config.ts';

const KILLS = Number(process.env.UNBUNDLED_FAULT_ITERATIONS ?? 50);
const CHILD = join(import.meta.dirname, 'runtime-child.ts');

let pgi: PostgresInstance;
let redis: RedisInstance;
let pool: pg.Pool;
let dataDir: string;

beforeAll(async () => {
  [pgi, redis] = await Promise.all([startPostgres(), startRedis()]);
  pool = new pg.Pool({ connectionString: pgi.url, max: 4 });
  for (const t of [products, users, orders]) await pool.query(t.ddl!);
  dataDir = mkdtempSync(join(tmpdir(), 'shop-fault-'));
});

afterAll(async () => {
  await pool?.end();
  await Promise.all([pgi?.stop(), redis?.stop()]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function spawnRuntime(): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, DATABASE_URL: pgi.url, REDIS_URL: redis.url, SHOP_DATA: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Kill `child` with SIGKILL at a random moment: one kill in five lands during start-up (a random
 * time after spawn); the others a random 0.3–3 s after the runtime said "ready", while it
 * captures and applies. Returns a problem description, or '' when all went as planned.
 */
async function killAtRandom(child: ChildProcess): Promise<string> {
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<string>((r) => child.once('exit', (code) => r(`exit ${code}`)));
  const ready = new Promise<string>((r) => child.stdout?.once('data', () => r('ready')));
  const duringStartup = Math.random() < 0.2;
  const first = await Promise.race([
    exited,
    duringStartup ? sleepThen(100 + Math.random() * 1_500, 'timer') : ready,
    sleepThen(90_000, 'start-up timeout'),
  ]);
  if (first !== 'ready' && first !== 'timer') return `${first}: ${stderr.slice(-2000)}`;
  if (first === 'ready') {
    const early = await Promise.race([exited, sleepThen(300 + Math.random() * 2_700, 'timer')]);
    if (early !== 'timer') return `${early}: ${stderr.slice(-2000)}`;
  }
  child.kill('SIGKILL');
  await exited;
  return '';
}

function sleepThen<T>(ms: number, value: T): Promise<T> {
  return new Promise((r) => setTimeout(() => r(value), ms));
}

/**
 * Wait until the capture streams (any snapshot done) and has acknowledged — so made durable in
 * the log — every WAL position written so far.
 */
async function captureDrained(rt: Runtime, sql: SqlClient, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let target: string | null = null;
  for (;;) {
    const status = rt.source('shop').status();
    if (status.type === 'failed') throw status.error;
    if (status.type === 'streaming') {
      if (target === null) {
        const { rows } = await sql.query<{ lsn: string }>(
          'select pg_current_wal_lsn()::text as lsn',
        );
        target = rows[0]!.lsn;
      }
      const r = await sql.query<{ ok: boolean }>('select $1::pg_lsn >= $2::pg_lsn as ok', [
        status.ackedLsn,
        target,
      ]);
      if (r.rows[0]?.ok) return;
    }
    if (Date.now() > until)
      throw new Error(`capture not drained in ${timeoutMs} ms: ${status.type}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** View statuses and topic offsets, printed when the views do not match (for diagnosis). */
async function describeRuntime(rt: Runtime): Promise<string> {
  const lines = rt
    .viewStatus()
    .map((v) => `${v.name} ${v.version} ${v.phase} ${JSON.stringify(v.position)}`);
  for (const t of await rt.log.listTopics()) {
    for (let p = 0; p < t.config.partitions; p++) {
      lines.push(`${t.name}/${p} ${JSON.stringify(await rt.log.offsets(t.name, p))}`);
    }
  }
  return lines.join('\n');
}

describe('shop runtime under SIGKILL (real Postgres + Redis)', () => {
  it(`every view equals its oracles after ${KILLS} kills during load`, async () => {
    const sql = pgSqlClient(pool);
    const load = new ShopLoad(sql, { seed: 7, products: 60, users: 200 });
    await load.seed();
    let loading = true;
    const loadLoop = (async () => {
      while (loading) {
        await load.tick(15);
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    const failures: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const problem = await killAtRandom(spawnRuntime());
      if (problem) failures.push(`kill ${i}: ${problem}`);
      if (failures.length > 3) break;
    }
    loading = false;
    await loadLoop;
    expect(failures).toEqual([]);
    expect(load.stats.transactions).toBeGreaterThan(KILLS);

    const rt = await startSystem(system, {
      dataDir,
      env: { DATABASE_URL: pgi.url, REDIS_URL: redis.url },
    });
    try {
      await captureDrained(rt, sql);
      await rt.waitForViews(120_000);
      const diffs = await compareWithOracles(rt);
      if (diffs.length > 0) console.error(await describeRuntime(rt));
      expect(diffs).toEqual([]);
    } finally {
      await rt.stop();
    }
  }, 900_000);
});
