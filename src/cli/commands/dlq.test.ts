import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSystem } from '../../system/index.ts';
import { freshPgliteDir } from '../../testing/index.ts';
import system from './dlq-fixture.config.ts';

const dir = mkdtempSync(join(tmpdir(), 'dlq-cli-'));
const BIN = resolve(import.meta.dirname, '..', '..', '..', 'bin', 'unbundled.js');
const cli = (...args: string[]) =>
  execFileSync(process.execPath, [BIN, '--data', dir, ...args], { encoding: 'utf8' });

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dead letters', () => {
  it('a row an operator cannot process goes to the DLQ with the reason; the rest is applied', async () => {
    await freshPgliteDir(join(dir, 'db', 'pglite'));
    const rt = await startSystem(system, { dataDir: dir, env: {} });
    try {
      await rt.source('db').sql.query(`insert into payments values ('a', 5), ('b', -2), ('c', 7)`);
      await rt.source('db').sql.query(`update payments set amount = 9 where id = 'a'`);
      // Wait for the capture to relay and the view to apply all of it.
      for (let i = 0; i < 200 && (await rt.view('cents').get('a'))?.cents !== 900; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await rt.waitForViews();
      expect(await rt.view('cents').get('a')).toEqual({ id: 'a', cents: 900 });
      expect(await rt.view('cents').get('c')).toEqual({ id: 'c', cents: 700 });
      expect(await rt.view('cents').get('b')).toBeUndefined();
      expect(rt.deadLetters).toBe(1);
    } finally {
      await rt.stop();
    }
    const list = cli('dlq', 'list');
    expect(list).toMatch(/^0\tcents\tmap#\d+\tnegative amount -2 in b$/m);
    const shown = JSON.parse(cli('dlq', 'show', '0')) as Record<string, unknown>;
    expect(shown).toMatchObject({ view: 'cents', error: 'negative amount -2 in b' });
    expect(shown.payload).toEqual({ id: 'b', amount: -2 });
    expect(Object.keys(shown.position as object)).toEqual(['db.public.payments/0']);
  }, 120_000);
});
