import type { LogRecord } from '../../core/index.ts';
import { decodeFrame, FRAME_HEADER_BYTES, frameCrcOk, headerLooksValid } from './batch-codec.ts';
import { type FsOps, readAt } from './fs-ops.ts';
import type { Partition } from './partition.ts';
import { corruptError } from './recovery.ts';
import type { Segment } from './segment.ts';

/** Options of `readPartition` with defaults applied. */
export interface PartitionReadOptions {
  readonly follow: boolean;
  readonly signal: AbortSignal | undefined;
  readonly maxBatchBytes: number;
}

/**
 * Yield the durable records of a partition from offset `from` on, in offset order, in batches
 * of at most `maxBatchBytes` (a larger frame is read whole, then yielded in slices). Every frame's
 * CRC is checked. With `follow`, waits for new appends at the end. Holds one segment open at
 * a time; leaving the loop releases it.
 */
export async function* readPartition(
  p: Partition,
  ops: FsOps,
  from: number,
  o: PartitionReadOptions,
): AsyncGenerator<readonly LogRecord[]> {
  let next = Math.max(0, from);
  let seg: Segment | undefined;
  let pos = 0;
  try {
    while (!o.signal?.aborted && !p.closed) {
      if (seg === undefined) {
        next = Math.max(next, p.beginningOffset);
        seg = segmentFor(p.segments, next);
        seg.acquire();
        pos = seg.index.lookup(next);
      }
      if (pos < seg.size) {
        const chunk = await readChunk(p, ops, seg, pos, next, o.maxBatchBytes);
        pos = chunk.end;
        next = Math.max(next, chunk.next);
        if (chunk.bytes <= o.maxBatchBytes) {
          if (chunk.records.length > 0) yield chunk.records;
        } else {
          for (const part of splitBySize(chunk.records, o.maxBatchBytes)) yield part;
        }
      } else if (seg !== p.active) {
        next = Math.max(next, baseAfter(p.segments, seg.base));
        const done = seg;
        seg = undefined;
        await done.release();
      } else if (!o.follow) {
        return;
      } else {
        await p.waitForAppend(p.endOffset, o.signal);
      }
    }
  } finally {
    await seg?.release();
  }
}

/** The segment holding `offset`: the last one whose base is <= offset (or the first). */
function segmentFor(segs: readonly Segment[], offset: number): Segment {
  let lo = 0;
  let hi = segs.length - 1;
  let best = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.base <= offset) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return segs[best]!;
}

function baseAfter(segs: readonly Segment[], base: number): number {
  for (const s of segs) if (s.base > base) return s.base;
  return base;
}

async function readChunk(
  p: Partition,
  ops: FsOps,
  seg: Segment,
  pos: number,
  from: number,
  maxBytes: number,
): Promise<{ records: LogRecord[]; end: number; next: number; bytes: number }> {
  const limit = seg.size;
  let buf = await readAt(ops, seg.fd, Math.min(maxBytes, limit - pos), pos);
  if (buf.length < FRAME_HEADER_BYTES || buf.readUInt32LE(0) > buf.length) {
    const len = buf.length >= FRAME_HEADER_BYTES ? buf.readUInt32LE(0) : FRAME_HEADER_BYTES;
    buf = await readAt(ops, seg.fd, Math.min(len, limit - pos), pos);
  }
  const records: LogRecord[] = [];
  let q = 0;
  let next = from;
  while (q + FRAME_HEADER_BYTES <= buf.length) {
    const len = buf.readUInt32LE(q);
    if (!headerLooksValid(buf, q) || q + len > buf.length || pos + q + len > limit) {
      if (q + len > buf.length && q > 0 && headerLooksValid(buf, q)) break;
      throw damaged(p, seg, pos + q, 'bad frame header while reading');
    }
    if (!frameCrcOk(buf, q, len)) throw damaged(p, seg, pos + q, 'CRC32C mismatch while reading');
    decodeFrame(buf, q, p.topic, p.id, from, records);
    next = buf.readDoubleLE(q + 12) + buf.readUInt32LE(q + 20) + 1;
    q += len;
  }
  return { records, end: pos + q, next, bytes: buf.length };
}

/** Cut the records of one oversized frame into batches of at most `max` key+value bytes. */
function* splitBySize(records: LogRecord[], max: number): Generator<LogRecord[]> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const n = (r.key?.length ?? 0) + (r.value?.length ?? 0) + 32;
    if (bytes + n > max && i > start) {
      yield records.slice(start, i);
      start = i;
      bytes = 0;
    }
    bytes += n;
  }
  if (start < records.length) yield records.slice(start);
}

function damaged(p: Partition, seg: Segment, position: number, reason: string) {
  return corruptError(
    seg.path,
    {
      validBytes: position,
      lastOffset: seg.base - 1,
      maxTimestamp: 0,
      frames: 0,
      records: 0,
      index: seg.index,
      problem: { position, kind: 'corrupt', reason },
    },
    p.topic,
    p.id,
  );
}
