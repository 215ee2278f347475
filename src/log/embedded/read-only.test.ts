import { appendFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../core/index.ts';
import { LOG_ERROR_CODES } from '../errors.ts';
import { openEmbeddedLog } from './embedded-log.ts';
import { silentLogger } from './test-support.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ub-log-ro-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const opts = { maintenanceIntervalMs: 0, segmentBytes: 1024, logger: silentLogger() };

describe('read-only open (tools beside a running writer)', () => {
  it('tails what another handle appends, across segment rolls, and refuses writes', async () => {
    const writer = await openEmbeddedLog({ dir, ...opts });
    await writer.createTopic('t', { partitions: 1 });
    await writer.append('t', 0, [{ key: null, value: utf8('v0') }]);
    const reader = await openEmbeddedLog({ dir, ...opts, readOnly: true });
    await expect(reader.append('t', 0, [{ key: null, value: utf8('x') }])).rejects.toMatchObject({
      code: LOG_ERROR_CODES.readOnly,
    });
    await expect(reader.commitOffsets('g', 't', { 0: 1 })).rejects.toMatchObject({
      code: LOG_ERROR_CODES.readOnly,
    });
    await expect(reader.createTopic('u', { partitions: 1 })).rejects.toMatchObject({
      code: LOG_ERROR_CODES.readOnly,
    });
    const ac = new AbortController();
    const seen: string[] = [];
    const tail = (async () => {
      for await (const b of reader.read('t', 0, 0, { signal: ac.signal })) {
        seen.push(...b.map((r) => fromUtf8(r.value!)));
        if (seen.length === 41) ac.abort();
      }
    })();
    for (let i = 1; i <= 40; i++)
      await writer.append('t', 0, [{ key: null, value: utf8(`v${i}-${'x'.repeat(100)}`) }]);
    await tail;
    expect(seen.map((v) => v.split('-')[0])).toEqual(Array.from({ length: 41 }, (_, i) => `v${i}`));
    expect(reader.partition('t', 0).segments.length).toBeGreaterThan(3);
    await reader.close();
    await writer.close();
  });

  it('skips a torn tail without truncating the file', async () => {
    const writer = await openEmbeddedLog({ dir, ...opts });
    await writer.createTopic('t', { partitions: 1 });
    await writer.append('t', 0, [{ key: null, value: utf8('a') }]);
    await writer.close();
    const pdir = join(dir, 'topics', 't', '0');
    const file = join(pdir, (await readdir(pdir))[0]!);
    await appendFile(file, Buffer.alloc(10, 1));
    const size = (await stat(file)).size;
    const reader = await openEmbeddedLog({ dir, ...opts, readOnly: true });
    const got: string[] = [];
    for await (const b of reader.read('t', 0, 0, { follow: false }))
      got.push(...b.map((r) => fromUtf8(r.value!)));
    expect(got).toEqual(['a']);
    await reader.close();
    expect((await stat(file)).size).toBe(size);
  });
});
