/**
 * Test helper process: runs a Postgres capture into an embedded log until SIGTERM (graceful) or
 * SIGKILL (the fault). Env: CDC_URL, CDC_LOG_DIR, CDC_TABLES (comma list). Prints 'streaming'
 * once it streams. Used by capture.fault.test.ts.
 */
import { openEmbeddedLog } from '../../log/index.ts';
import { postgres } from './postgres-source.ts';

const ac = new AbortController();
process.on('SIGTERM', () => ac.abort());
const log = await openEmbeddedLog({ dir: process.env.CDC_LOG_DIR!, maintenanceIntervalMs: 0 });
const source = postgres({
  connection: process.env.CDC_URL!,
  tables: (process.env.CDC_TABLES ?? '').split(','),
  onSnapshotProgress: () => {},
  slotBusyWaitMs: 30_000,
});
void (async () => {
  let said = false;
  for await (const s of source.status(ac.signal)) {
    if (s.type === 'streaming' && !said) {
      said = true;
      process.stdout.write('streaming\n');
    }
    if (s.type === 'retrying') process.stderr.write(`retrying: ${s.error.message}\n`);
  }
})();
try {
  await source.run(log, ac.signal);
} catch (err) {
  process.stderr.write(`capture failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await log.close();
}
