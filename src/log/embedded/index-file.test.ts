import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../core/index.ts';
import { LOG_ERROR_CODES } from '../errors.ts';
import { type EmbeddedLog, openEmbeddedLog } from './embedded-log.ts';
import { type FsOps, nodeFsOps } from './fs-ops.ts';
import { silentLogger } from './test-support.ts';

let dir = '';
let pdir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ub-log-index-'));
  pdir = join(dir, 'topics', 't', '0');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Counts bytes read through the seam (a spy on the real file system). */
function readCounter() {
  const c = { bytes: 0 };
  const ops: FsOps = {
    ...nodeFsOps,
    read: async (fd, buf, off, len, pos) => {
      const n = await nodeFsOps.read(fd, buf, off, len, pos);
      c.bytes += n;
      return n;
    },
  };
  return { ops, c };
}

const open = (verifyOnOpen: 'all' | 'last', fs: FsOps = nodeFsOps) =>
  openEmbeddedLog({
    dir,
    segmentBytes: 2048,
    verifyOnOpen,
    fs,
    maintenanceIntervalMs: 0,
    logger: silentLogger(),
  });

async function values(log: EmbeddedLog): Promise<string[]> {
  const out: string[] = [];
  for await (const b of log.read('t', 0, 0, { follow: false }))
    out.push(...b.map((r) => fromUtf8(r.value!)));
  return out;
}

async function seed(): Promise<string[]> {
  const log = await open('last');
  await log.createTopic('t', { partitions: 1 });
  for (let i = 0; i < 80; i++)
    await log.append('t', 0, [{ key: utf8(`k${i}`), value: utf8(`v${i}-${'x'.repeat(60)}`) }]);
  const all = await values(log);
  await log.close();
  return all;
}

describe("persisted segment index (verifyOnOpen: 'last')", () => {
  it('writes an index per closed segment and opens without reading closed segments', async () => {
    const all = await seed();
    const names = await readdir(pdir);
    const logs = names.filter((n) => n.endsWith('.log'));
    expect(names.filter((n) => n.endsWith('.index')).length).toBe(logs.length - 1);
    const { ops, c } = readCounter();
    const log = await open('last', ops);
    expect(c.bytes).toBeLessThan(2048 + 200);
    expect(await values(log)).toEqual(all);
    expect((await log.offsets('t', 0)).end).toBe(80);
    await log.close();
    const full = readCounter();
    await (await open('all', full.ops)).close();
    expect(full.c.bytes).toBeGreaterThan(80 * 80);
  });

  it('damage in a closed segment: LOG_CORRUPT on read with last, on open with all', async () => {
    await seed();
    const first = join(pdir, (await readdir(pdir)).filter((n) => n.endsWith('.log')).sort()[0]!);
    const buf = await readFile(first);
    buf[60] = buf[60]! ^ 0xff;
    await writeFile(first, buf);
    const log = await open('last');
    await expect(values(log)).rejects.toMatchObject({
      code: LOG_ERROR_CODES.corrupt,
      details: { file: first },
    });
    await log.close();
    await expect(open('all')).rejects.toMatchObject({ code: LOG_ERROR_CODES.corrupt });
  });

  it('rebuilds a missing, damaged or stale index by scanning, and drops orphans', async () => {
    const all = await seed();
    const indexes = (await readdir(pdir)).filter((n) => n.endsWith('.index')).sort();
    await rm(join(pdir, indexes[0]!));
    const damaged = await readFile(join(pdir, indexes[1]!));
    damaged[20] = damaged[20]! ^ 1;
    await writeFile(join(pdir, indexes[1]!), damaged);
    await writeFile(join(pdir, '00000000000000099999.index'), 'orphan');
    const log = await open('last');
    expect(await values(log)).toEqual(all);
    await log.close();
    const after = (await readdir(pdir)).filter((n) => n.endsWith('.index')).sort();
    expect(after).toEqual(indexes);
    expect(await readFile(join(pdir, indexes[1]!))).not.toEqual(damaged);
  });
});
