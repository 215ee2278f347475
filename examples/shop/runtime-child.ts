/**
 * The shop runtime alone (capture + views, no load), for the SIGKILL fault test: reads
 * DATABASE_URL / REDIS_URL / SHOP_DATA from the environment, prints "ready" once started, and
 * runs until killed.
 */
import { startSystem } from '../../src/system/index.ts';
import system from './unbundled.config.ts';

const rt = await startSystem(system, {
  dataDir: process.env.SHOP_DATA ?? '.data/shop-child',
  checkpointIntervalMs: Number(process.env.SHOP_CHECKPOINT_MS ?? 500),
});
process.stdout.write('ready\n');
rt.done.catch((err) => {
  process.stderr.write(`runtime failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
