/**
 * Quick throughput check of the view stores against hand-written baselines (not a test; the
 * benchmark suite proper is `npm run bench -- views`). Prints one JSON line.
 * Usage: DATABASE_URL=postgres://… npx tsx src/views/measure-views.ts   (Postgres part optional)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import MiniSearch from 'minisearch';
import pg from 'pg';
import { createMemoryView } from './memory/memory-view.ts';
import { createPostgresView } from './postgres/postgres-view.ts';
import { createSearchView } from './search/search-view.ts';

const N = Number(process.env.MEASURE_ROWS ?? 200_000);
const B = 5000;
const rows = Array.from({ length: N }, (_, i) => ({
  key: `k${i}`,
  row: { title: `product number ${i} blue shoe ${i % 97}`, n: i * 1.5, cat: `c${i % 10}` },
}));
const out: Record<string, number> = {};
const perSecond = (count: number, started: number) =>
  Math.round(count / ((performance.now() - started) / 1000));

async function measurePostgres(url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const base = `measure_base_${process.pid}`;
  await pool.query(`CREATE TABLE ${base} (key text PRIMARY KEY, title text, n float8, cat text)`);
  let t = performance.now();
  for (let i = 0; i < N; i += B) {
    const b = rows.slice(i, i + B);
    await pool.query(
      `INSERT INTO ${base} SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[])
       ON CONFLICT (key) DO UPDATE SET title = EXCLUDED.title, n = EXCLUDED.n, cat = EXCLUDED.cat`,
      [
        b.map((r) => r.key),
        b.map((r) => r.row.title),
        b.map((r) => r.row.n),
        b.map((r) => r.row.cat),
      ],
    );
  }
  out.baseline_pg_unnest_rows_per_s = perSecond(N, t);
  const view = createPostgresView(`measure_${process.pid}`, {
    pool,
    columns: { title: 'text', n: 'float8', cat: 'text' },
  });
  const v = view.version('v1');
  await v.open();
  t = performance.now();
  for (let i = 0; i < N; i += B) await v.apply(rows.slice(i, i + B), { 'm/0': i + B });
  out.pg_view_rows_per_s = perSecond(N, t);
  await view.drop('v1');
  await pool.query(`DROP TABLE ${base}`);
  await pool.end();
}

async function measureSearch(): Promise<void> {
  let t = performance.now();
  const ms = new MiniSearch({ fields: ['title', 'cat'], idField: 'id' });
  ms.addAll(rows.map((r) => ({ id: r.key, ...r.row })));
  out.baseline_minisearch_docs_per_s = perSecond(N, t);
  const dir = mkdtempSync(join(tmpdir(), 'ub-measure-'));
  const opts = {
    dir,
    fields: ['title', 'cat'],
    snapshotIntervalMs: 3_600_000,
    snapshotEveryWrites: 1e12,
  };
  const view = createSearchView('measure', opts);
  const v = view.version('v1');
  await v.open();
  t = performance.now();
  for (let i = 0; i < N; i += B) await v.apply(rows.slice(i, i + B), { 'm/0': i + B });
  out.search_docs_per_s = perSecond(N, t);
  t = performance.now();
  await v.close();
  out.search_snapshot_ms = Math.round(performance.now() - t);
  t = performance.now();
  await createSearchView('measure', opts).version('v1').open();
  out.search_load_ms = Math.round(performance.now() - t);
  rmSync(dir, { recursive: true, force: true });
}

async function measureMemory(): Promise<void> {
  const v = createMemoryView('measure').version('v1');
  await v.open();
  const writes = Array.from({ length: 1_000_000 }, (_, i) => ({
    key: `g${i % 10_000}`,
    row: { sum: i },
  }));
  const t = performance.now();
  for (let i = 0; i < writes.length; i += B)
    await v.apply(writes.slice(i, i + B), { 'm/0': i + B });
  out.memory_apply_writes_per_s = perSecond(writes.length, t);
}

if (process.env.DATABASE_URL) await measurePostgres(process.env.DATABASE_URL);
await measureSearch();
await measureMemory();
console.log(JSON.stringify(out));
process.exit(0);
