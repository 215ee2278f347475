import { join } from 'node:path';
import { UnbundledError } from '../../core/index.ts';
import { LOG_ERROR_CODES } from '../errors.ts';
import { fileSize, listDir } from './fs-ops.ts';
import { readIndexFile, writeIndexFile } from './index-file.ts';
import { OffsetIndex, type SegmentMeta } from './offset-index.ts';
import type { ResolvedOptions } from './options.ts';
import { parseSegmentFileName, Segment, segmentFileName } from './segment.ts';
import { type SegmentScan, scanSegment } from './segment-scan.ts';

/** Suffix of files being written by compaction; leftovers of a crash are deleted on open. */
export const TEMP_SUFFIX = '.tmp';

/**
 * Open every segment of a partition directory, checking every frame's CRC. A torn tail of the
 * LAST segment (an interrupted append: nothing valid after the first bad byte) is truncated and
 * logged; any other damage fails the open with LOG_CORRUPT naming the file and byte position.
 */
export async function openSegments(
  dir: string,
  topic: string,
  partition: number,
  o: ResolvedOptions,
): Promise<{ segments: Segment[]; writeFd: number }> {
  const names = await listDir(dir);
  if (!o.readOnly) await removeLeftovers(dir, names, o);
  const bases = names.map(parseSegmentFileName).filter((b): b is number => b !== undefined);
  bases.sort((a, b) => a - b);
  if (bases.length === 0 && o.readOnly) throw readOnlyError(`${dir} has no segment yet`);
  if (bases.length === 0) {
    const fd = await o.fs.open(join(dir, segmentFileName(0)), 'w+');
    await o.fs.close(fd);
    await o.fs.fsyncDir(dir);
    bases.push(0);
  }
  const segments: Segment[] = [];
  try {
    for (let i = 0; i < bases.length; i++) {
      segments.push(await openOne(dir, bases[i]!, i === bases.length - 1, topic, partition, o));
    }
  } catch (err) {
    for (const s of segments) await s.retire();
    throw err;
  }
  const writeFd = o.readOnly ? -1 : await o.fs.open(segments[segments.length - 1]!.path, 'r+');
  return { segments, writeFd };
}

/** Temp files of interrupted compactions or index writes, and indexes of deleted segments. */
async function removeLeftovers(dir: string, names: string[], o: ResolvedOptions): Promise<void> {
  const logs = new Set(names.filter((n) => n.endsWith('.log')));
  for (const n of names) {
    const orphanIndex = n.endsWith('.index') && !logs.has(n.replace(/\.index$/, '.log'));
    if (n.endsWith(TEMP_SUFFIX) || orphanIndex) await o.fs.unlink(join(dir, n));
  }
}

async function openOne(
  dir: string,
  base: number,
  last: boolean,
  topic: string,
  partition: number,
  o: ResolvedOptions,
): Promise<Segment> {
  const path = join(dir, segmentFileName(base));
  const fd = await o.fs.open(path, 'r');
  try {
    const size = await fileSize(fd);
    if (!last && o.verifyOnOpen === 'last') {
      const stored = await readIndexFile(path, size, base, o.indexIntervalBytes);
      if (stored !== undefined) return segmentFromIndex(dir, base, fd, stored, o);
    }
    const scan = await scanSegment(o.fs, fd, size, base, o.indexIntervalBytes);
    if (scan.problem !== undefined) {
      if (!last || scan.problem.kind === 'corrupt')
        throw corruptError(path, scan, topic, partition);
      if (!o.readOnly) await truncateTornTail(path, size, scan, o, { topic, partition });
    }
    const seg = segmentFromScan(dir, base, fd, scan, o);
    if (!last && !o.readOnly && o.verifyOnOpen === 'last') await saveIndex(seg, o);
    return seg;
  } catch (err) {
    await o.fs.close(fd);
    throw err;
  }
}

function segmentFromIndex(
  dir: string,
  base: number,
  fd: number,
  stored: { index: OffsetIndex; meta: SegmentMeta },
  o: ResolvedOptions,
): Segment {
  const { index, meta } = stored;
  return new Segment({ dir, base, fd, ops: o.fs, index, ...meta });
}

/** Persist a closed segment's index; a failure only costs a scan at the next open. */
export async function saveIndex(seg: Segment, o: ResolvedOptions): Promise<void> {
  await writeIndexFile(o.fs, seg).catch((err: unknown) =>
    o.logger.warn(
      { err, file: seg.path },
      'could not write the segment index; the next open scans the segment',
    ),
  );
}

/** Build a Segment from a scan result. */
export function segmentFromScan(
  dir: string,
  base: number,
  fd: number,
  scan: SegmentScan,
  o: ResolvedOptions,
): Segment {
  const index = scan.index ?? new OffsetIndex(o.indexIntervalBytes);
  return new Segment({
    dir,
    base,
    fd,
    ops: o.fs,
    index,
    size: scan.validBytes,
    lastOffset: scan.lastOffset,
    maxTimestamp: scan.maxTimestamp,
    records: scan.records,
  });
}

async function truncateTornTail(
  path: string,
  size: number,
  scan: SegmentScan,
  o: ResolvedOptions,
  where: { topic: string; partition: number },
): Promise<void> {
  const fd = await o.fs.open(path, 'r+');
  try {
    await o.fs.ftruncate(fd, scan.validBytes);
    await o.fs.fsync(fd);
  } finally {
    await o.fs.close(fd);
  }
  const dropped = size - scan.validBytes;
  o.logger.warn(
    {
      ...where,
      file: path,
      position: scan.validBytes,
      droppedBytes: dropped,
      reason: scan.problem?.reason,
    },
    `torn tail: dropped ${dropped} bytes of an interrupted append at byte ${scan.validBytes} of ${path}`,
  );
}

/** The typed error for a write on a read-only log. */
export function readOnlyError(what: string): UnbundledError {
  return new UnbundledError(
    LOG_ERROR_CODES.readOnly,
    `${what}: the log was opened read-only; open it without readOnly (one writer per directory) to write`,
  );
}

/** The typed error for damage in the middle of a segment. */
export function corruptError(path: string, scan: SegmentScan, topic: string, partition: number) {
  const position = scan.problem?.position ?? scan.validBytes;
  return new UnbundledError(
    LOG_ERROR_CODES.corrupt,
    `segment ${path} is corrupt at byte ${position} (${scan.problem?.reason}); it is not an interrupted ` +
      `append (valid data follows or it is not the last segment), so it is not skipped. Restore the file, ` +
      `or run \`unbundled log repair --yes\` to truncate the segment at byte ${position} ` +
      `(records after offset ${scan.lastOffset} in this segment are lost)`,
    {
      details: {
        file: path,
        position,
        topic,
        partition,
        reason: scan.problem?.reason,
        lastGoodOffset: scan.lastOffset,
      },
    },
  );
}
