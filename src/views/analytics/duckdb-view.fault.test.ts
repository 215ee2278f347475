import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchesAt, CRASH_COLUMNS, type CrashRow, crashOracle } from '../crash-batches.ts';
import { faultIterations, runAndKill } from '../crash-runner.ts';
import { createDuckDbView } from './duckdb-view.ts';

const iterations = faultIterations(8);

/**
 * SIGKILL a process that applies batches to a DuckDB view; after each kill DuckDB replays its WAL
 * and the table must equal the oracle at exactly the committed position.
 *
 * Planted bug, checked by hand: committing the merged rows before updating the position (two
 * transactions) failed this test within the first 3 kills. Removed after seeing it fail.
 */
describe('duckdb view under SIGKILL', () => {
  let dir: string;
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'commits staged rows and position together across kills',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'ub-duck-crash-'));
      const path = join(dir, 'crash.duckdb');
      let last = 0;
      let progressed = 0;
      for (let i = 0; i < iterations; i++) {
        const resumed = await runAndKill(['duckdb', path], 30 + Math.floor(Math.random() * 200));
        expect(resumed).toBe(last);
        const view = createDuckDbView<CrashRow>('crash', { path, columns: CRASH_COLUMNS });
        const store = view.version('v1');
        const n = batchesAt((await store.open()).position);
        const rows = (await store.scan({ limit: 10_000 })).rows.map((r) => [r.key, r.row]);
        expect(rows).toEqual(crashOracle(n));
        if (n > last) progressed++;
        last = n;
        await view.close();
      }
      expect(progressed).toBeGreaterThan(iterations / 4);
    },
    iterations * 10_000,
  );
});
