import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromUtf8, isUnbundledError, utf8 } from '../../core/index.ts';
import { LOG_ERROR_CODES } from '../errors.ts';
import { openEmbeddedLog } from './embedded-log.ts';
import { repairEmbeddedLog } from './repair.ts';
import { silentLogger } from './test-support.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ub-log-recovery-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (logger = silentLogger(), segmentBytes = 1 << 20) =>
  openEmbeddedLog({ dir, segmentBytes, maintenanceIntervalMs: 0, logger });

/** Write `batches` single-record batches and return the partition-0 segment files. */
async function seed(batches: number, segmentBytes = 1 << 20): Promise<string[]> {
  const log = await open(silentLogger(), segmentBytes);
  await log.createTopic('t', { partitions: 1 });
  for (let i = 0; i < batches; i++)
    await log.append('t', 0, [{ key: utf8(`k${i}`), value: utf8(`value-${i}`) }]);
  await log.close();
  const pdir = join(dir, 'topics', 't', '0');
  return (await readdir(pdir))
    .filter((n) => n.endsWith('.log'))
    .sort()
    .map((n) => join(pdir, n));
}

async function values(): Promise<string[]> {
  const log = await open();
  const out: string[] = [];
  for await (const b of log.read('t', 0, 0, { follow: false }))
    out.push(...b.map((r) => fromUtf8(r.value!)));
  await log.close();
  return out;
}

async function flipByte(file: string, position: number): Promise<void> {
  const buf = await readFile(file);
  buf[position] = buf[position]! ^ 0xff;
  await writeFile(file, buf);
}

describe('recovery on open', () => {
  it('truncates an incomplete final frame and logs the bytes dropped', async () => {
    const [file] = await seed(5);
    const good = (await stat(file!)).size;
    const frame = (await readFile(file!)).subarray(0, good / 5);
    await appendFile(file!, frame.subarray(0, frame.length - 3));
    const logger = silentLogger();
    const log = await open(logger);
    await log.close();
    expect((await stat(file!)).size).toBe(good);
    const line = logger.lines.find((l) => l.msg.includes('torn tail'));
    expect(line?.obj).toMatchObject({ droppedBytes: frame.length - 3, position: good, file });
    expect(await values()).toEqual([0, 1, 2, 3, 4].map((i) => `value-${i}`));
  });

  it('truncates a complete final frame whose CRC does not match', async () => {
    const [file] = await seed(5);
    const size = (await stat(file!)).size;
    await flipByte(file!, size - 2);
    expect(await values()).toEqual([0, 1, 2, 3].map((i) => `value-${i}`));
    expect((await stat(file!)).size).toBe((size / 5) * 4);
  });

  it('treats a zero-filled tail (lost pages after power loss) as torn', async () => {
    const [file] = await seed(3);
    await appendFile(file!, Buffer.alloc(5000));
    expect(await values()).toEqual([0, 1, 2].map((i) => `value-${i}`));
  });

  it('fails with LOG_CORRUPT naming file and byte when damage has valid frames after it', async () => {
    const [file] = await seed(5);
    const frame = (await stat(file!)).size / 5;
    await flipByte(file!, frame * 2 + 45);
    const err = await open().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUnbundledError(err, LOG_ERROR_CODES.corrupt)).toBe(true);
    expect((err as Error).message).toContain(file!);
    expect((err as Error).message).toContain(`byte ${frame * 2}`);
    expect((err as { details: object }).details).toMatchObject({ file, position: frame * 2 });
  });

  it('fails with LOG_CORRUPT for any damage in a closed (non-last) segment, even at its end', async () => {
    const files = await seed(40, 200);
    expect(files.length).toBeGreaterThan(2);
    const first = files[0]!;
    await flipByte(first, (await stat(first)).size - 1);
    await expect(open()).rejects.toMatchObject({
      code: LOG_ERROR_CODES.corrupt,
      details: { file: first },
    });
  });

  it('repair truncates at the corruption only when asked, then the log opens', async () => {
    const [file] = await seed(5);
    const frame = (await stat(file!)).size / 5;
    await flipByte(file!, frame * 3 + 41);
    const dry = await repairEmbeddedLog({ dir, dryRun: true, logger: silentLogger() });
    expect(dry).toMatchObject([
      { file, position: frame * 3, droppedBytes: frame * 2, lastKeptOffset: 2 },
    ]);
    await expect(open()).rejects.toMatchObject({ code: LOG_ERROR_CODES.corrupt });
    await repairEmbeddedLog({ dir, logger: silentLogger() });
    expect(await values()).toEqual([0, 1, 2].map((i) => `value-${i}`));
    const log = await open();
    expect((await log.append('t', 0, [{ key: null, value: utf8('after') }])).baseOffset).toBe(3);
    await log.close();
  });
});

describe('bad input', () => {
  it('rejects an oversized record with a typed error and appends nothing', async () => {
    const log = await openEmbeddedLog({
      dir,
      maxRecordBytes: 1024,
      maintenanceIntervalMs: 0,
      logger: silentLogger(),
    });
    await log.createTopic('t', { partitions: 1 });
    await log.append('t', 0, [{ key: null, value: new Uint8Array(100) }]);
    const err = await log
      .append('t', 0, [
        { key: null, value: new Uint8Array(10) },
        { key: null, value: new Uint8Array(2000) },
      ])
      .catch((e: unknown) => e);
    expect(isUnbundledError(err, LOG_ERROR_CODES.recordTooLarge)).toBe(true);
    expect(await log.offsets('t', 0)).toEqual({ beginning: 0, end: 1 });
    expect((await log.append('t', 0, [{ key: null, value: null }])).baseOffset).toBe(1);
    await expect(log.append('t', 0, [])).rejects.toMatchObject({
      code: LOG_ERROR_CODES.invalidArgument,
    });
    await log.close();
  });

  it('refuses a second open of the same directory', async () => {
    const log = await open();
    await expect(open()).rejects.toMatchObject({ code: LOG_ERROR_CODES.locked });
    await log.close();
    await (await open()).close();
  });
});
