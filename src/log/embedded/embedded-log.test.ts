import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLogConformance } from '../conformance.ts';
import type { Log } from '../types.ts';
import { type EmbeddedLog, openEmbeddedLog } from './embedded-log.ts';
import { silentLogger } from './test-support.ts';

/*
 * The conformance compaction case was shown to catch a planted bug (compaction keeping the
 * first record per key): "expected { k0: 'r39i20', … (11) } to deeply equal { … (10) }".
 * Small segments (4 KiB) so that compaction has closed segments to work on.
 */
runLogConformance(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ub-log-conf-'));
  const open = () =>
    openEmbeddedLog({ dir, segmentBytes: 4096, maintenanceIntervalMs: 0, logger: silentLogger() });
  let log: EmbeddedLog = await open();
  const self = {
    get log(): Log {
      return log;
    },
    reopen: async () => {
      await log.close();
      log = await open();
      return log;
    },
    compact: async () => {
      await log.maintain();
    },
    cleanup: async () => {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
});
