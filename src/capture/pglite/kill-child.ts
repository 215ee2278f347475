/**
 * Child process of `pglite-source.kill.fault.test.ts` (not part of the library): opens a PGlite
 * data directory and an embedded log, captures `kt` with `pgliteSource`, and commits
 * transactions (insert two rows, bump a counter row) until it is SIGKILLed.
 * `node --import tsx kill-child.ts <pgliteDir> <logDir> write|drain`
 * Prints `ready` once capturing, `drained` after a final drain in drain mode.
 */
import { PGlite } from '@electric-sql/pglite';
import { openEmbeddedLog } from '../../log/embedded/index.ts';
import { pgliteSource } from './pglite-source.ts';

const [pgDir, logDir, mode] = process.argv.slice(2) as [string, string, string];
const db = await PGlite.create(pgDir);
await db.exec(`CREATE TABLE IF NOT EXISTS kt (id int PRIMARY KEY, v int NOT NULL)`);
const log = await openEmbeddedLog({ dir: logDir, maintenanceIntervalMs: 0 });
const source = pgliteSource({ db, tables: ['kt'], partitions: 2, flushRecords: 50, pollMs: 20 });
await source.open();
if (mode === 'drain') {
  await source.drain(log);
  await source.close();
  await log.close();
  await db.close();
  process.stdout.write('drained\n');
  process.exit(0);
}
const ac = new AbortController();
void source.run(log, ac.signal);
process.stdout.write('ready\n');
for (;;) {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ next: number }>(
      'SELECT coalesce(max(id), 0) + 1 AS next FROM kt',
    );
    const id = rows[0]!.next;
    await tx.query('INSERT INTO kt VALUES ($1, 0), ($2, 0)', [id, id + 1]);
    await tx.query('UPDATE kt SET v = v + 1 WHERE id = $1', [1 + (id % 7)]);
  });
  await db.syncToFs();
}
