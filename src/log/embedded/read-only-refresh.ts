import { join } from 'node:path';
import { FRAME_HEADER_BYTES, frameCrcOk, headerLooksValid } from './batch-codec.ts';
import { fileSize, listDir, readAt } from './fs-ops.ts';
import { OffsetIndex } from './offset-index.ts';
import type { ResolvedOptions } from './options.ts';
import type { Partition } from './partition.ts';
import { parseSegmentFileName, Segment, segmentFileName } from './segment.ts';

/**
 * Read-only mode: pick up what another process appended since we looked — complete, CRC-valid
 * frames at the end of the active segment, then segments it rolled to. A frame still being
 * written is left for the next poll. Returns whether anything new was found.
 */
export async function refreshSegments(p: Partition, o: ResolvedOptions): Promise<boolean> {
  const active = p.active;
  const newer = (await listDir(p.dir))
    .map(parseSegmentFileName)
    .filter((b): b is number => b !== undefined && b > active.base)
    .sort((a, b) => a - b);
  let changed = await absorbTail(p, active, o);
  for (const base of newer) {
    const fd = await o.fs.open(join(p.dir, segmentFileName(base)), 'r');
    const index = new OffsetIndex(o.indexIntervalBytes);
    const seg = new Segment({
      dir: p.dir,
      base,
      fd,
      ops: o.fs,
      index,
      size: 0,
      lastOffset: base - 1,
      maxTimestamp: 0,
      records: 0,
    });
    p.absorb(seg, [], seg);
    await absorbTail(p, seg, o);
    changed = true;
  }
  return changed;
}

async function absorbTail(p: Partition, seg: Segment, o: ResolvedOptions): Promise<boolean> {
  const size = await fileSize(seg.fd);
  if (size <= seg.size) return false;
  const buf = await readAt(o.fs, seg.fd, size - seg.size, seg.size);
  const frames: Buffer[] = [];
  let q = 0;
  while (q + FRAME_HEADER_BYTES <= buf.length && headerLooksValid(buf, q)) {
    const len = buf.readUInt32LE(q);
    if (q + len > buf.length || !frameCrcOk(buf, q, len)) break;
    frames.push(buf.subarray(q, q + len));
    q += len;
  }
  p.absorb(seg, frames);
  return frames.length > 0;
}
