/**
 * Child process of `pglite-source.kill.fault.test.ts` (not part of the library): opens a PGlite
 * data directory and an embedded log, captures `kt` with `pgliteSource`, and commits
 * transactions (insert two rows, bump a counter row) until it is SIGKILLed.
 * `node --import tsx kill-child.ts <pgliteDir> <logDir> write|drain`
 * Prints `ready` after the relay's first pass, `drained` after a final drain in drain mode.
 */
import { PGlite } from '@electric-sql/pglite';
import { openEmbeddedLog } from '../../log/embedded/index.ts';
import type { Log } from '../../log/index.ts';
import { pgliteSource } from './pglite-source.ts';

const [pgDir, logDir, mode] = process.argv.slice(2) as [string, string, string];
const db = await PGlite.create(pgDir);
await db.exec(`CREATE TABLE IF NOT EXISTS kt (id int PRIMARY KEY, v int NOT NULL)`);
const embedded = await openEmbeddedLog({ dir: logDir, maintenanceIntervalMs: 0 });
// Widen the window between "append durable" and "change rows deleted" (a slow acknowledgement
// path), so that kills often land inside it: that is where exactly-once can break.
const log: Log = {
  createTopic: (n, c) => embedded.createTopic(n, c),
  ensureTopic: (n, c) => embedded.ensureTopic(n, c),
  describeTopic: (n) => embedded.describeTopic(n),
  listTopics: () => embedded.listTopics(),
  read: (t, p, f, o) => embedded.read(t, p, f, o),
  offsets: (t, p) => embedded.offsets(t, p),
  commitOffsets: (g, t, o) => embedded.commitOffsets(g, t, o),
  fetchOffsets: (g, t) => embedded.fetchOffsets(g, t),
  close: () => embedded.close(),
  append: async (topic, partition, records) => {
    const result = await embedded.append(topic, partition, records);
    await new Promise((r) => setTimeout(r, 60));
    return result;
  },
};
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
void writeForever();
for await (const status of source.status()) if (status.type === 'streaming') break;
process.stdout.write('ready\n'); // the relay has made a pass: kills now land mid-relay

async function writeForever(): Promise<never> {
  for (;;) await writeOne();
}

async function writeOne(): Promise<void> {
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ next: number }>(
      'SELECT coalesce(max(id), 0) + 1 AS next FROM kt',
    );
    const id = rows[0]!.next;
    await tx.query('INSERT INTO kt VALUES ($1, 0), ($2, 0)', [id, id + 1]);
    await tx.query('UPDATE kt SET v = v + 1 WHERE id = $1', [1 + (id % 7)]);
  });
  await db.syncToFs();
  await new Promise((r) => setTimeout(r, 5)); // let the relay's queries in between
}
