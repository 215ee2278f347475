/**
 * Profiling helper for the views suite (not a suite itself): commits a backlog to a private
 * Postgres, captures it into an embedded log, then replays each view named in VB_VIEWS (default
 * user_totals_mem) alone from offset 0 and prints its events/s. Run with a CPU profile:
 * `node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof bench/views/replay-profile.ts`.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openEmbeddedLog } from '../../src/log/index.ts';
import { startSystem } from '../../src/system/index.ts';
import { startPostgres, startRedis } from '../../src/testing/index.ts';
import { benchSystem, currentLsn, waitCaptured, writeBacklog } from '../views.ts';

const server = await startPostgres({});
const redis = await startRedis();
const url = await server.createDatabase('source');
const dataDir = await mkdtemp(join(tmpdir(), 'vbprof-'));
const system = benchSystem(url, url, redis.url);
const pool = new pg.Pool({ connectionString: url });
await pool.query(`create table if not exists orders (id text primary key, user_id text not null,
    product_id text not null, quantity int not null, price float8 not null, status text not null)`);
const prime = await startSystem(system, { dataDir, views: [], env: {} });
await waitCaptured(prime, await currentLsn(pool));
await prime.stop();
await writeBacklog(pool);
const end = await currentLsn(pool);
const cap = await startSystem(system, { dataDir, views: [], env: {} });
await waitCaptured(cap, end);
await cap.stop();
const log = await openEmbeddedLog({
  dir: join(dataDir, 'log'),
  maintenanceIntervalMs: 0,
  logger: { info() {}, warn() {}, error() {} },
});
for (const view of (process.env.VB_VIEWS ?? 'user_totals_mem').split(',')) {
  await mkdir(join(dataDir, `r-${view}`), { recursive: true });
  const t = performance.now();
  const rr = await startSystem(system, {
    dataDir: join(dataDir, `r-${view}`),
    log,
    capture: false,
    views: [view],
    env: {},
  });
  await rr.waitForViews(600_000);
  console.log(
    view,
    Math.round(
      Number(process.env.VIEWS_BENCH_BACKLOG ?? 200_000) / ((performance.now() - t) / 1000),
    ),
    'eps (replay alone)',
  );
  await rr.stop();
}
await log.close();
await pool.end();
await redis.stop();
await server.stop();
process.exit(0);
