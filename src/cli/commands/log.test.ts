import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../core/index.ts';
import { openEmbeddedLog } from '../../log/index.ts';

const MAIN = join(import.meta.dirname, '..', 'main.ts');
const run = promisify(execFile);
const quiet = { info() {}, warn() {}, error() {} };

let data = '';
beforeEach(async () => {
  data = await mkdtemp(join(tmpdir(), 'ub-cli-log-'));
  const log = await openEmbeddedLog({
    dir: join(data, 'log'),
    maintenanceIntervalMs: 0,
    logger: quiet,
  });
  await log.createTopic('orders', { partitions: 2 });
  await log.append('orders', 0, [
    { key: utf8('o1'), value: utf8('{"total":3}'), headers: { 'ub-request-id': 'r1' } },
    { key: null, value: new Uint8Array([0, 255, 7]) },
    { key: utf8('o1'), value: null },
  ]);
  await log.append('orders', 1, [{ key: utf8('o2'), value: utf8('x') }]);
  await log.close();
});
afterEach(async () => {
  await rm(data, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [
      '--import',
      'tsx',
      MAIN,
      '--data',
      data,
      'log',
      ...args,
    ]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('unbundled log (child process)', () => {
  it('tail prints offset, key, value (utf8 or hex) and headers', async () => {
    const r = await cli('tail', 'orders');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '0\t"o1"\t"{\\"total\\":3}"\t{"ub-request-id":"r1"}\n1\tnull\t0x00ff07\n2\t"o1"\tnull\n',
    );
    expect((await cli('tail', 'orders', '--partition', '1')).stdout).toBe('0\t"o2"\t"x"\n');
    expect((await cli('tail', 'orders', '--from', '2')).stdout).toBe('2\t"o1"\tnull\n');
  });

  it('tail --follow shows what a running writer appends, and stops cleanly on SIGINT', async () => {
    const writer = await openEmbeddedLog({
      dir: join(data, 'log'),
      maintenanceIntervalMs: 0,
      logger: quiet,
    });
    const child = spawn(process.execPath, [
      '--import',
      'tsx',
      MAIN,
      '--data',
      data,
      'log',
      'tail',
      'orders',
      '--follow',
    ]);
    let out = '';
    let appended = false;
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const lines = out.split('\n').length - 1;
      if (lines === 3 && !appended) {
        appended = true;
        void writer.append('orders', 0, [{ key: utf8('o9'), value: utf8('late') }]);
      }
      if (lines === 4) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    await writer.close();
    expect(code).toBe(0);
    expect(out.split('\n').at(-2)).toBe('3\t"o9"\t"late"');
  });

  it('stats prints per-partition figures, as a table or JSON', async () => {
    const table = await cli('stats');
    expect(table.stdout.split('\n')[0]).toMatch(
      /^topic\s+partition\s+segments\s+bytes\s+beginning\s+end\s+records$/,
    );
    const rows = JSON.parse((await cli('stats', '--json')).stdout) as object[];
    expect(rows).toMatchObject([
      { topic: 'orders', partition: 0, segments: 1, beginning: 0, end: 3, records: 3 },
      { topic: 'orders', partition: 1, segments: 1, beginning: 0, end: 1, records: 1 },
    ]);
  });

  it('unknown topic: exit 1 with the typed error', async () => {
    const r = await cli('tail', 'nope');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error [LOG_UNKNOWN_TOPIC]');
  });

  it('repair reports damage, and truncates only with --yes', async () => {
    const pdir = join(data, 'log', 'topics', 'orders', '0');
    const file = join(pdir, (await readdir(pdir)).find((n) => n.endsWith('.log'))!);
    const bytes = await readFile(file);
    const damaged = Buffer.from(bytes);
    damaged[50] = damaged[50]! ^ 0xff; // a bad frame with a valid one after it: corruption
    await writeFile(file, Buffer.concat([damaged, bytes]));
    const stats = await cli('stats');
    expect(stats.code).toBe(1);
    expect(stats.stderr).toContain('error [LOG_CORRUPT]');
    expect(stats.stderr).toContain(`${file} is corrupt at byte 0`);
    const dry = await cli('repair');
    expect(dry.code).toBe(1);
    expect(dry.stdout).toContain(`would truncate ${file} at byte 0`);
    expect((await stat(file)).size).toBe(bytes.length * 2);
    const real = await cli('repair', '--yes');
    expect(real.code).toBe(0);
    expect(real.stdout).toContain(`truncated ${file} at byte 0`);
    expect((await stat(file)).size).toBe(0);
    expect((await cli('stats', '--json')).stdout).toContain('"end":0');
  });
});
