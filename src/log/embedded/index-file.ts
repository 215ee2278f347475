import { readFile } from 'node:fs/promises';
import type { FsOps } from './fs-ops.ts';
import { writeAll } from './fs-ops.ts';
import { OffsetIndex, type SegmentMeta } from './offset-index.ts';
import type { Segment } from './segment.ts';

/** Path of a segment's persisted index. */
export function indexPath(segmentPath: string): string {
  return segmentPath.replace(/\.log$/, '.index');
}

/**
 * Persist a closed segment's offset index with its facts (size, last offset, records, newest
 * timestamp). A hint, not a source of truth: written to a temp file and renamed, not fsynced;
 * a damaged or stale file is detected by `readIndexFile` and the segment is scanned instead.
 */
export async function writeIndexFile(ops: FsOps, seg: Segment): Promise<void> {
  const path = indexPath(seg.path);
  const meta = {
    size: seg.size,
    lastOffset: seg.lastOffset,
    records: seg.records,
    maxTimestamp: seg.maxTimestamp,
  };
  const fd = await ops.open(`${path}.tmp`, 'w');
  try {
    await writeAll(ops, fd, [seg.index.encode(meta, seg.base)], 0);
  } finally {
    await ops.close(fd);
  }
  await ops.rename(`${path}.tmp`, path);
}

/** A segment's persisted index, when present, intact and describing a file of `size` bytes. */
export async function readIndexFile(
  segmentPath: string,
  size: number,
  base: number,
  intervalBytes: number,
): Promise<{ index: OffsetIndex; meta: SegmentMeta } | undefined> {
  const buf = await readFile(indexPath(segmentPath)).catch(() => undefined);
  return buf === undefined ? undefined : OffsetIndex.decode(buf, size, base, intervalBytes);
}

/** Remove a segment's index file (before rewriting or deleting the segment). */
export async function removeIndexFile(ops: FsOps, segmentPath: string): Promise<void> {
  await ops.unlink(indexPath(segmentPath)).catch(() => {});
}
