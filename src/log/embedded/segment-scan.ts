import {
  FRAME_HEADER_BYTES,
  frameCrcOk,
  headerLooksValid,
  readFrameHeader,
} from './batch-codec.ts';
import { type FsOps, readAt } from './fs-ops.ts';
import { OffsetIndex } from './offset-index.ts';

/** What a full scan of one segment file found. */
export interface SegmentScan {
  /** Bytes of valid, complete, CRC-checked frames from the start. */
  readonly validBytes: number;
  /** Offset of the last record (baseOffset - 1 when the segment holds no frame). */
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly frames: number;
  readonly records: number;
  readonly index: OffsetIndex;
  /**
   * The first bad byte position, if any. `torn`: nothing valid follows it (an interrupted
   * append: safe to truncate on the last segment). `corrupt`: a valid frame follows it, so
   * bytes in the middle were damaged; never skipped silently.
   */
  readonly problem?: {
    readonly position: number;
    readonly kind: 'torn' | 'corrupt';
    readonly reason: string;
  };
}

const CHUNK = 8 << 20;

/** Read a segment front to back, checking every frame's CRC and building its offset index. */
export async function scanSegment(
  ops: FsOps,
  fd: number,
  size: number,
  baseOffset: number,
  indexIntervalBytes: number,
): Promise<SegmentScan> {
  const index = new OffsetIndex(indexIntervalBytes);
  let p = 0;
  let lastOffset = baseOffset - 1;
  let maxTimestamp = 0;
  let frames = 0;
  let records = 0;
  let chunk = Buffer.alloc(0);
  let chunkAt = 0;
  while (p < size) {
    if (p + FRAME_HEADER_BYTES > chunkAt + chunk.length) {
      chunk = await readAt(ops, fd, Math.min(CHUNK, size - p), p);
      chunkAt = p;
    }
    const reason = await checkFrameAt(ops, fd, size, p, chunk, chunkAt);
    if (typeof reason === 'string') {
      const kind = (await validFrameAfter(ops, fd, size, p + 1)) ? 'corrupt' : 'torn';
      const scan = { validBytes: p, lastOffset, maxTimestamp, frames, records, index };
      return { ...scan, problem: { position: p, kind, reason } };
    }
    const h = reason;
    index.maybeAdd(h.baseOffset, p);
    lastOffset = h.lastOffset;
    if (h.maxTimestamp > maxTimestamp) maxTimestamp = h.maxTimestamp;
    frames++;
    records += h.count;
    p += h.length;
  }
  return { validBytes: p, lastOffset, maxTimestamp, frames, records, index };
}

type Checked =
  | string
  | { length: number; lastOffset: number; baseOffset: number; count: number; maxTimestamp: number };

async function checkFrameAt(
  ops: FsOps,
  fd: number,
  size: number,
  p: number,
  chunk: Buffer,
  chunkAt: number,
): Promise<Checked> {
  if (size - p < FRAME_HEADER_BYTES) return `incomplete frame header (${size - p} bytes)`;
  const rel = p - chunkAt;
  if (!headerLooksValid(chunk, rel)) return 'bad frame magic or length';
  const h = readFrameHeader(chunk, rel);
  if (p + h.length > size) return `frame of ${h.length} bytes runs past the end of the file`;
  const ok =
    rel + h.length <= chunk.length
      ? frameCrcOk(chunk, rel, h.length)
      : frameCrcOk(await readAt(ops, fd, h.length, p), 0, h.length);
  return ok ? h : 'CRC32C mismatch';
}

/** Whether any complete, CRC-valid frame starts at or after `from` (decides torn vs corrupt). */
async function validFrameAfter(ops: FsOps, fd: number, size: number, from: number) {
  for (let at = from; at < size; at += CHUNK) {
    const buf = await readAt(ops, fd, Math.min(CHUNK + FRAME_HEADER_BYTES, size - at), at);
    for (let i = buf.indexOf(0xb1, 8); i >= 8 && i < CHUNK + 8; i = buf.indexOf(0xb1, i + 1)) {
      const start = at + i - 8;
      if (start < from) continue;
      if (await isValidFrame(ops, fd, size, start, buf, at)) return true;
    }
  }
  return false;
}

async function isValidFrame(
  ops: FsOps,
  fd: number,
  size: number,
  p: number,
  buf: Buffer,
  at: number,
) {
  const rel = p - at;
  if (rel + FRAME_HEADER_BYTES > buf.length || !headerLooksValid(buf, rel)) return false;
  const len = buf.readUInt32LE(rel);
  if (p + len > size) return false;
  const frame =
    rel + len <= buf.length ? buf.subarray(rel, rel + len) : await readAt(ops, fd, len, p);
  return frameCrcOk(frame, 0, len);
}
