import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromUtf8, isUnbundledError, utf8 } from '../../core/index.ts';
import { LOG_ERROR_CODES } from '../errors.ts';
import type { EmbeddedLog } from './embedded-log.ts';
import { openEmbeddedLog } from './embedded-log.ts';
import { type FsOps, nodeFsOps } from './fs-ops.ts';
import { silentLogger } from './test-support.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ub-log-io-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readValues(log: EmbeddedLog): Promise<string[]> {
  const out: string[] = [];
  for await (const b of log.read('t', 0, 0, { follow: false }))
    out.push(...b.map((r) => fromUtf8(r.value!)));
  return out;
}

const rec = (v: string) => ({ key: utf8('k'), value: utf8(v) });

/**
 * A mock file system (the seam): EIO from fdatasync is a fault we cannot cause for real here
 * (it needs a failing device). It fails the next fdatasync once and records every descriptor
 * fsynced afterwards, to prove the failed descriptor is never fsynced again.
 */
function faultyFs() {
  const state = {
    failNextSync: false,
    failedFd: -1,
    syncedAfterFailure: [] as number[],
    failWrite: '',
  };
  const ops: FsOps = {
    ...nodeFsOps,
    writev: (fd, bufs, pos) => {
      if (state.failWrite !== '') {
        const code = state.failWrite;
        state.failWrite = '';
        return Promise.reject(Object.assign(new Error(`${code} (injected)`), { code }));
      }
      return nodeFsOps.writev(fd, bufs, pos);
    },
    fdatasync: async (fd) => {
      if (state.failedFd >= 0) state.syncedAfterFailure.push(fd);
      if (state.failNextSync) {
        state.failNextSync = false;
        state.failedFd = fd;
        await nodeFsOps.fdatasync(fd);
        throw Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' });
      }
      return nodeFsOps.fdatasync(fd);
    },
  };
  return { ops, state };
}

/*
 * Planted bugs, each seen failing the EIO test, then removed:
 * - recovery skipped the ftruncate back to the durable size: reopening failed with LOG_CORRUPT
 *   "corrupt at byte 128 (bad frame magic or length)" (leftovers of the failed group behind 'd').
 * - the flush retried fdatasync on the failed descriptor: "expected [ 20, 21 ] to not include 20".
 */
describe('write faults (fs seam)', () => {
  it('EIO on fdatasync rejects the whole group, never re-fsyncs that descriptor, reopens from disk', async () => {
    const { ops, state } = faultyFs();
    const log = await openEmbeddedLog({
      dir,
      fs: ops,
      maintenanceIntervalMs: 0,
      logger: silentLogger(),
    });
    await log.createTopic('t', { partitions: 1 });
    await log.append('t', 0, [rec('a')]);
    state.failNextSync = true;
    const results = await Promise.allSettled([
      log.append('t', 0, [rec('b1'), rec('b2')]),
      log.append('t', 0, [rec('c')]),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(isUnbundledError((r as PromiseRejectedResult).reason, LOG_ERROR_CODES.io)).toBe(true);
    }
    expect(await log.offsets('t', 0)).toEqual({ beginning: 0, end: 1 });
    expect(await readValues(log)).toEqual(['a']);
    const next = await log.append('t', 0, [rec('d')]);
    expect(next.baseOffset).toBe(1);
    expect(state.syncedAfterFailure).not.toContain(state.failedFd);
    expect(await readValues(log)).toEqual(['a', 'd']);
    await log.close();
    const again = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0, logger: silentLogger() });
    expect(await readValues(again)).toEqual(['a', 'd']);
    await again.close();
  });

  it('ENOSPC on write rejects the append and acknowledges nothing', async () => {
    const { ops, state } = faultyFs();
    const log = await openEmbeddedLog({
      dir,
      fs: ops,
      maintenanceIntervalMs: 0,
      logger: silentLogger(),
    });
    await log.createTopic('t', { partitions: 1 });
    await log.append('t', 0, [rec('a')]);
    state.failWrite = 'ENOSPC';
    await expect(log.append('t', 0, [rec('x')])).rejects.toMatchObject({
      code: LOG_ERROR_CODES.io,
      details: { errno: 'ENOSPC' },
    });
    await log.append('t', 0, [rec('b')]);
    expect(await readValues(log)).toEqual(['a', 'b']);
    await log.close();
  });
});

describe('a roll that fails after creating its file', () => {
  // The empty file of the failed roll stays; the next append rolls again to the same base
  // offset (it truncates that file), and a crash in between leaves a consistent empty segment.
  it('rejects the append; the next one rolls again; offsets stay consistent', async () => {
    let failDirSync = false;
    const ops: FsOps = {
      ...nodeFsOps,
      fsyncDir: (d) =>
        failDirSync
          ? Promise.reject(Object.assign(new Error('EIO (injected)'), { code: 'EIO' }))
          : nodeFsOps.fsyncDir(d),
    };
    const o = { dir, fs: ops, segmentBytes: 200, maintenanceIntervalMs: 0, logger: silentLogger() };
    const log = await openEmbeddedLog(o);
    await log.createTopic('t', { partitions: 1 });
    await log.append('t', 0, [rec('a'.repeat(250))]);
    failDirSync = true;
    await expect(log.append('t', 0, [rec('b')])).rejects.toMatchObject({
      code: LOG_ERROR_CODES.io,
    });
    failDirSync = false;
    expect((await log.append('t', 0, [rec('c')])).baseOffset).toBe(1);
    await log.close();
    const again = await openEmbeddedLog(o);
    expect(await readValues(again)).toEqual(['a'.repeat(250), 'c']);
    expect((await again.append('t', 0, [rec('d')])).baseOffset).toBe(2);
    expect(await readValues(again)).toEqual(['a'.repeat(250), 'c', 'd']);
    await again.close();
  });
});

function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0 || process.platform !== 'linux') return false;
  return true;
}

describe.skipIf(!canMountTmpfs())('real ENOSPC on a 1 MiB tmpfs', () => {
  it('fills the disk: failed appends are not acknowledged, every acknowledged one survives', async () => {
    const mnt = join(dir, 'mnt');
    await mkdir(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
    } catch {
      return; // Not permitted in this container: the seam tests above cover the logic.
    }
    try {
      const acked: string[] = [];
      const log = await openEmbeddedLog({
        dir: join(mnt, 'log'),
        maintenanceIntervalMs: 0,
        logger: silentLogger(),
      });
      await log.createTopic('t', { partitions: 1 });
      const value = 'v'.repeat(20_000);
      let failure: unknown;
      for (let i = 0; i < 200 && failure === undefined; i++) {
        await log.append('t', 0, [rec(`${i}:${value}`)]).then(
          () => acked.push(`${i}:${value}`),
          (err: unknown) => {
            failure = err;
          },
        );
      }
      expect(failure).toMatchObject({ code: LOG_ERROR_CODES.io, details: { errno: 'ENOSPC' } });
      await expect(log.append('t', 0, [rec(`late:${value}`)])).rejects.toMatchObject({
        code: LOG_ERROR_CODES.io,
      });
      expect(await readValues(log)).toEqual(acked);
      await log.close();
      const again = await openEmbeddedLog({
        dir: join(mnt, 'log'),
        maintenanceIntervalMs: 0,
        logger: silentLogger(),
      });
      expect(await readValues(again)).toEqual(acked);
      expect((await again.offsets('t', 0)).end).toBe(acked.length);
      await again.close();
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
