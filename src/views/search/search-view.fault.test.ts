import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batchesAt, type CrashRow, crashOracle, searchCrashOptions } from '../crash-batches.ts';
import { faultIterations, runAndKill } from '../crash-runner.ts';
import { createSearchView } from './search-view.ts';

const iterations = faultIterations(30);

/**
 * SIGKILL a process that applies batches to a search view (snapshots every ~2 batches and every
 * 10 ms), many times; after each kill the snapshot's position must stand for whole batches and
 * its rows and index must equal the oracle at exactly that position.
 *
 * Planted bug, checked by hand: writing the snapshot in place (`writeFile(path)` instead of
 * tmp + fsync + rename) failed this test on the first kill (VIEW_SNAPSHOT_CORRUPT: the kill landed mid-write and left a
 * truncated file). Removed after seeing it fail.
 */
describe('search view under SIGKILL', () => {
  let dir: string;
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'reopens at a snapshot whose rows, index and position agree',
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'ub-search-crash-'));
      let last = 0;
      let progressed = 0;
      for (let i = 0; i < iterations; i++) {
        const resumed = await runAndKill(['search', dir], 10 + Math.floor(Math.random() * 120));
        expect(resumed).toBe(last);
        const view = createSearchView<CrashRow>('crash', searchCrashOptions(dir));
        const store = view.version('v1');
        const n = batchesAt((await store.open()).position);
        const oracle = crashOracle(n);
        const page = await store.scan({ limit: 10_000 });
        expect(page.rows.map((r) => [r.key, r.row])).toEqual(oracle);
        await view.promote('v1');
        const hits = await view.search(String(n - 1), { fields: ['batch'], limit: 10_000 });
        expect(hits.map((h) => h.key).sort()).toEqual(
          oracle.filter(([, r]) => r.batch === n - 1).map(([k]) => k),
        );
        if (n > last) progressed++;
        last = n;
        await view.close();
      }
      expect(progressed).toBeGreaterThan(iterations / 4);
      expect((await readdir(join(dir, 'crash'))).filter((f) => f.endsWith('.snapshot'))).toEqual([
        'v1.snapshot',
      ]);
    },
    iterations * 8_000,
  );
});
