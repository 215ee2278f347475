import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromUtf8, type LogRecord, utf8 } from '../../core/index.ts';
import type { TopicConfig } from '../types.ts';
import { type EmbeddedLog, openEmbeddedLog } from './embedded-log.ts';
import { type FsOps, nodeFsOps } from './fs-ops.ts';
import { silentLogger } from './test-support.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ub-log-maint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const open = (fs: FsOps = nodeFsOps) =>
  openEmbeddedLog({
    dir,
    segmentBytes: 2048,
    maintenanceIntervalMs: 0,
    logger: silentLogger(),
    fs,
  });

async function readAll(log: EmbeddedLog, topic = 't'): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const b of log.read(topic, 0, 0, { follow: false })) out.push(...b);
  return out;
}

const str = (b: Uint8Array | null) => (b === null ? null : fromUtf8(b));

/** Latest value per key (tombstones delete) — what compaction must preserve. */
function fold(records: readonly LogRecord[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of records) {
    if (r.key === null) continue;
    if (r.value === null) m.delete(str(r.key)!);
    else m.set(str(r.key)!, str(r.value)!);
  }
  return m;
}

async function fill(log: EmbeddedLog, config: TopicConfig, rounds = 60, ts?: number) {
  await log.createTopic('t', config);
  for (let i = 0; i < rounds; i++) {
    const value = i % 7 === 6 ? null : utf8(`v${i}-${'x'.repeat(40)}`);
    // `k*` keys change all along; `early*` keys only at first, so their last value is in a
    // closed segment (the active one cannot mask a compaction bug).
    const key = i < rounds / 3 && i % 2 === 0 ? `early${i % 3}` : `k${i % 5}`;
    await log.append('t', 0, [
      { key: utf8(key), value, ...(ts === undefined ? {} : { timestamp: ts }) },
    ]);
  }
}

/*
 * Planted bug, seen failing then removed: compaction kept the FIRST record per key instead of
 * the last (`if (!latest.has(key)) latest.set(...)` in latestOffsets). Both fold comparisons
 * failed: "expected Map{ …(7) } to deeply equal Map{ …(7) }". (Before the `early*` keys were
 * added, the newest values in the active segment masked the bug and the test passed: fixed.)
 */
describe('compaction', () => {
  it('keeps only the last value per key in closed segments, with offsets and order', async () => {
    const log = await open();
    await fill(log, { partitions: 1, compaction: { enabled: true, deleteRetentionMs: 3_600_000 } });
    const before = await readAll(log);
    const report = await log.maintain();
    expect(report.compactedSegments).toBeGreaterThan(0);
    const after = await readAll(log);
    expect(fold(after)).toEqual(fold(before));
    expect(after.length).toBeLessThan(before.length);
    const offs = after.map((r) => r.offset);
    expect(offs).toEqual([...offs].sort((a, b) => a - b));
    const active = log.partition('t', 0).active.base;
    const closedKeys = after.filter((r) => r.offset < active).map((r) => str(r.key));
    expect(new Set(closedKeys).size).toBe(closedKeys.length);
    // A recent tombstone that is the last for its key stays (readers must see the delete).
    const lastTomb = before.filter((r) => r.value === null).at(-1)!;
    if (lastTomb.offset < active && fold(before).get(str(lastTomb.key)!) === undefined) {
      expect(offs).toContain(lastTomb.offset);
    }
    await log.close();
    const again = await open();
    expect((await readAll(again)).map((r) => r.offset)).toEqual(offs);
    expect((await again.offsets('t', 0)).end).toBe(before.at(-1)!.offset + 1);
    await again.close();
  });

  it('drops tombstones older than deleteRetentionMs, and the values they deleted', async () => {
    const log = await open();
    await fill(log, { partitions: 1, compaction: { enabled: true, deleteRetentionMs: 0 } });
    const before = await readAll(log);
    await log.maintain();
    const after = await readAll(log);
    const active = log.partition('t', 0).active.base;
    expect(after.filter((r) => r.offset < active && r.value === null)).toEqual([]);
    expect(fold(after)).toEqual(fold(before));
    await log.close();
  });

  it('does not block appends or reads that run during compaction', async () => {
    const log = await open();
    await fill(log, { partitions: 1, compaction: { enabled: true } }, 200);
    const ac = new AbortController();
    const seen: number[] = [];
    const reader = (async () => {
      for await (const b of log.read('t', 0, 0, { signal: ac.signal, maxBatchBytes: 256 })) {
        seen.push(...b.map((r) => r.offset));
        await new Promise((r) => setImmediate(r));
      }
    })();
    const compaction = log.maintain();
    const appended = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        log.append('t', 0, [{ key: utf8(`n${i}`), value: utf8('new') }]),
      ),
    );
    await compaction;
    const end = appended.reduce((m, r) => Math.max(m, r.lastOffset), 0);
    while (!seen.includes(end)) await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    await reader;
    expect(seen).toEqual([...new Set(seen)].sort((a, b) => a - b));
    for (const r of appended) expect(seen).toContain(r.baseOffset);
    await log.close();
  });

  it('leaves the old segment intact when it crashes mid-rewrite, and cleans the temp file', async () => {
    const failingRename: FsOps = {
      ...nodeFsOps,
      rename: (from, to) =>
        from.endsWith('.compact.tmp')
          ? Promise.reject(Object.assign(new Error('EIO (injected)'), { code: 'EIO' }))
          : nodeFsOps.rename(from, to),
    };
    const log = await open(failingRename);
    await fill(log, { partitions: 1, compaction: { enabled: true } });
    const before = await readAll(log);
    await expect(log.maintain()).rejects.toMatchObject({ code: 'EIO' });
    expect(await readAll(log)).toEqual(before);
    await log.close();
    const pdir = join(dir, 'topics', 't', '0');
    await writeFile(join(pdir, '00000000000000000000.log.compact.tmp'), 'half-written');
    const again = await open();
    expect((await readdir(pdir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect((await readAll(again)).map((r) => r.offset)).toEqual(before.map((r) => r.offset));
    await again.close();
  });
});

describe('retention', () => {
  it('deletes the oldest closed segments beyond retention.bytes; reads start at the new beginning', async () => {
    const log = await open();
    await fill(log, { partitions: 1, retention: { bytes: 4096 } }, 100);
    const p = log.partition('t', 0);
    const segsBefore = p.segments.length;
    const report = await log.maintain();
    expect(report.deletedSegments).toBeGreaterThan(0);
    expect(p.segments.length).toBe(segsBefore - report.deletedSegments);
    expect(p.segments.reduce((n, s) => n + s.size, 0)).toBeLessThanOrEqual(4096 + 2048 + 200);
    const { beginning, end } = await log.offsets('t', 0);
    expect(beginning).toBeGreaterThan(0);
    expect(end).toBe(100);
    const got = await readAll(log);
    expect(got[0]!.offset).toBe(beginning);
    expect(got.at(-1)!.offset).toBe(99);
    await log.close();
  });

  it('deletes closed segments whose newest record is older than retention.ms', async () => {
    const log = await open();
    await fill(log, { partitions: 1, retention: { ms: 60_000 } }, 50, Date.now() - 3_600_000);
    await log.append('t', 0, [{ key: null, value: utf8('fresh') }]);
    await log.maintain();
    const p = log.partition('t', 0);
    expect(p.segments.length).toBe(1);
    expect((await readAll(log)).map((r) => str(r.value))).toContain('fresh');
    await log.close();
  });
});
