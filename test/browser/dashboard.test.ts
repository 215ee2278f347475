import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ServeHandle, serve } from '../../src/serve/index.ts';
import { ItemLoad, startTestSystem } from '../../src/serve/test-support.ts';
import type { Runtime } from '../../src/system/index.ts';

/**
 * The dashboard in a real browser (Debian's Chromium driven by playwright-core): it draws the
 * plan, shows a view's applied count rising while a write load runs, tails live changes, and
 * renders a non-empty screenshot (kept at $UNBUNDLED_SCREENSHOT or in the temp dir).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let dir: string;
let rt: Runtime;
let http: ServeHandle;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serve-browser-'));
  rt = await startTestSystem(join(dir, 'data'));
  http = await serve(rt, { port: 0, logger: false, readToken: null });
});

afterAll(async () => {
  await http?.close();
  await rt?.stop();
  await rm(dir, { recursive: true, force: true });
});

it.skipIf(!existsSync(CHROMIUM))(
  'shows live numbers, the graph and the tail in Chromium',
  { timeout: 120_000 },
  async () => {
    const load = new ItemLoad(rt, { keys: 100, seed: 5 });
    let running = true;
    const writer = (async () => {
      while (running) {
        await load.tick(3);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(http.url);
      const applied = page.locator('tr[data-view="items"] td[data-field="applied"]');
      await applied.waitFor();
      const number = async () => Number((await applied.textContent())!.replace(/[^0-9]/g, ''));
      const first = await number();
      await expect.poll(number, { timeout: 30_000, interval: 250 }).toBeGreaterThan(first);
      await expect.poll(() => page.locator('.graph svg g.node.view').count()).toBe(3);
      expect(await page.locator('.graph svg g.node.operator').count()).toBeGreaterThan(0);
      expect(await page.locator('.graph svg path.edge').count()).toBeGreaterThan(3);
      await expect
        .poll(() => page.locator('#tail li').count(), { timeout: 20_000 })
        .toBeGreaterThan(2);
      expect(await page.locator('#system').textContent()).toBe('servetest');
      await page.waitForTimeout(1_500); // let a few sparkline samples arrive
      const shot = process.env.UNBUNDLED_SCREENSHOT ?? join(tmpdir(), 'unbundled-dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      const bytes = await readFile(shot);
      expect(bytes.subarray(1, 4).toString()).toBe('PNG');
      expect((await stat(shot)).size).toBeGreaterThan(20_000);
      expect(errors).toEqual([]);
    } finally {
      running = false;
      await writer;
      await context.close();
    }
  },
);
