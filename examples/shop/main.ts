/**
 * `npm start`: runs the shop on embedded defaults (PGlite, the embedded log, MiniSearch, an
 * in-process cache, in-memory views) with a built-in load generator, and shows live throughput
 * and each view's lag. Set DATABASE_URL / REDIS_URL to run the same config on real servers.
 *
 * Environment: SHOP_DATA (default .data/shop), SHOP_RATE orders/s (default 500),
 * SHOP_DURATION_S (default: until Ctrl-C), PORT (default 3000), HOST (default 127.0.0.1).
 */
import { serve } from '../../src/serve/index.ts';
import { startSystem } from '../../src/system/index.ts';
import { ShopLoad } from './load.ts';
import { renderStatus } from './status-line.ts';
import system from './unbundled.config.ts';

const dataDir = process.env.SHOP_DATA ?? '.data/shop';
const rate = Number(process.env.SHOP_RATE ?? 500);
const durationS = Number(process.env.SHOP_DURATION_S ?? 0);
const tickMs = 100;

const runtime = await startSystem(system, {
  dataDir,
  onEvent: (e) => {
    if (e.type === 'view-phase' && e.detail)
      console.log(`view ${e.view}: ${e.phase} (${e.detail})`);
    if (e.type === 'source-failed' || e.type === 'view-failed')
      console.error(`${e.type}:`, e.error);
  },
});
const http = await serve(runtime, {
  port: process.env.PORT ?? 3000,
  host: process.env.HOST ?? '127.0.0.1',
});
const load = new ShopLoad(runtime.source('shop').sql);
await load.seed();
console.log(
  `shop running on ${runtime.source('shop').engine}; dashboard ${http.url}; data in ${dataDir}; ${rate} orders/s; Ctrl-C to stop`,
);

let stopping = false;
const started = Date.now();
const loadLoop = (async () => {
  while (!stopping) {
    const t0 = Date.now();
    await load.tick(Math.max(1, Math.round((rate * tickMs) / 1000)));
    await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - t0))));
  }
})();

const screen = setInterval(() => {
  process.stdout.write(
    renderStatus(runtime, load.stats, Date.now() - started, process.stdout.isTTY),
  );
}, 1_000);

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearInterval(screen);
  await loadLoop.catch(() => {});
  await http.close();
  await runtime.stop();
  process.stdout.write(renderStatus(runtime, load.stats, Date.now() - started, false));
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
runtime.done.catch(() => void shutdown(1));
loadLoop.catch((err) => {
  console.error('load generator failed:', err);
  void shutdown(1);
});
if (durationS > 0) setTimeout(() => void shutdown(0), durationS * 1_000);
