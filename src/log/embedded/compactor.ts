import type { LogRecord } from '../../core/index.ts';
import type { TopicConfig } from '../types.ts';
import { encodeFrame, type OffsetRecord, recordBytes } from './batch-codec.ts';
import { writeAll } from './fs-ops.ts';
import { removeIndexFile } from './index-file.ts';
import { OffsetIndex } from './offset-index.ts';
import type { ResolvedOptions } from './options.ts';
import type { Partition } from './partition.ts';
import { saveIndex, TEMP_SUFFIX } from './recovery.ts';
import { Segment } from './segment.ts';
import { segmentRecords } from './segment-records.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const FRAME_TARGET_BYTES = 1 << 20;

/** What compacting one partition did. */
export interface CompactionResult {
  readonly segments: number;
  readonly removed: number;
}

/**
 * Key compaction of the closed segments of one partition: keep, per key, only the record with
 * the highest offset in the partition; drop a tombstone that is the last for its key once it is
 * older than `deleteRetentionMs`; keep records without a key. Offsets, order and record
 * contents are unchanged. Runs beside appends (which only touch the active segment) and reads
 * (which keep their descriptor of a replaced file). Crash-safe: each rewritten segment goes to
 * a temp file, is fsynced, renamed over the old one, and the directory is fsynced.
 */
export async function compactPartition(
  p: Partition,
  config: TopicConfig,
  o: ResolvedOptions,
  now: number,
): Promise<CompactionResult> {
  const closed = p.segments.slice(0, -1);
  if (closed.length === 0) return { segments: 0, removed: 0 };
  const latest = await latestOffsets(p, o);
  const deleteRetentionMs = config.compaction?.deleteRetentionMs ?? DAY_MS;
  const keep = (r: LogRecord) =>
    r.key === null ||
    (latest.get(keyOf(r.key)) === r.offset &&
      !(r.value === null && now - r.timestamp >= deleteRetentionMs));
  let segments = 0;
  let removed = 0;
  for (const seg of closed) {
    const n = await rewriteSegment(p, seg, keep, o);
    if (n > 0) {
      segments++;
      removed += n;
    }
  }
  return { segments, removed };
}

function keyOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.length).toString('latin1');
}

/** Key → offset of its last record, over every durable record of the partition. */
async function latestOffsets(p: Partition, o: ResolvedOptions): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  for (const seg of p.segments) {
    await eachRecord(p, seg, o, (r) => {
      if (r.key !== null) latest.set(keyOf(r.key), r.offset);
    });
  }
  return latest;
}

async function eachRecord(
  p: Partition,
  seg: Segment,
  o: ResolvedOptions,
  fn: (r: LogRecord) => void,
) {
  seg.acquire();
  try {
    for await (const chunk of segmentRecords(o.fs, seg, p.topic, p.id))
      for (const r of chunk) fn(r);
  } finally {
    await seg.release();
  }
}

/** Rewrite `seg` with only the kept records; returns how many were removed (0 = untouched). */
async function rewriteSegment(
  p: Partition,
  seg: Segment,
  keep: (r: LogRecord) => boolean,
  o: ResolvedOptions,
): Promise<number> {
  const kept: LogRecord[] = [];
  let total = 0;
  await eachRecord(p, seg, o, (r) => {
    total++;
    if (keep(r)) kept.push(r);
  });
  if (kept.length === total || seg.retired) return 0;
  const tmp = `${seg.path}.compact${TEMP_SUFFIX}`;
  const fd = await o.fs.open(tmp, 'w+');
  let readFd = -1;
  try {
    const { size, index, maxTimestamp } = await writeFrames(fd, kept, seg.base, o);
    await o.fs.fsync(fd);
    readFd = await o.fs.open(tmp, 'r');
    await removeIndexFile(o.fs, seg.path);
    await o.fs.rename(tmp, seg.path);
    await o.fs.fsyncDir(p.dir);
    const lastOffset = kept.length > 0 ? kept[kept.length - 1]!.offset : seg.base - 1;
    const next = new Segment({
      dir: p.dir,
      base: seg.base,
      fd: readFd,
      ops: o.fs,
      index,
      size,
      lastOffset,
      maxTimestamp,
      records: kept.length,
    });
    p.setSegments(p.segments.map((s) => (s === seg ? next : s)));
    await seg.retire();
    await saveIndex(next, o);
  } catch (err) {
    if (readFd >= 0) await o.fs.close(readFd);
    await o.fs.unlink(tmp).catch(() => {});
    throw err;
  } finally {
    await o.fs.close(fd);
  }
  return total - kept.length;
}

async function writeFrames(
  fd: number,
  kept: readonly LogRecord[],
  base: number,
  o: ResolvedOptions,
) {
  const index = new OffsetIndex(o.indexIntervalBytes);
  let size = 0;
  let maxTimestamp = 0;
  for (let i = 0; i < kept.length; ) {
    const group: OffsetRecord[] = [];
    const sizes: number[] = [];
    let bytes = 0;
    while (i < kept.length && (group.length === 0 || bytes < FRAME_TARGET_BYTES)) {
      const r = kept[i++]!;
      group.push(r);
      sizes.push(recordBytes(r));
      bytes += sizes[sizes.length - 1]!;
      if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
    }
    const frame = encodeFrame(group, sizes, group[0]!.offset, 0);
    index.maybeAdd(group[0]!.offset, size);
    await writeAll(o.fs, fd, [frame], size);
    size += frame.length;
  }
  return { size, index, maxTimestamp: maxTimestamp || 0, base };
}
