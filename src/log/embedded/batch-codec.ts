import { crc32c } from '@node-rs/crc32';
import type { Headers, LogRecord, RecordInput } from '../../core/index.ts';

/**
 * On-disk batch frame (little endian). One frame per appended batch, one CRC per frame:
 *
 *   0  u32 frameLength   total bytes of the frame, this header included
 *   4  u32 crc32c        over bytes [8, frameLength)
 *   8  u8  magic (0xB1)  9 u8 attributes (0)  10 u16 reserved
 *   12 f64 baseOffset    offset of the first record (integers are exact below 2^53)
 *   20 u32 lastOffsetDelta
 *   24 u32 recordCount   (< lastOffsetDelta + 1 after compaction)
 *   28 f64 maxTimestamp
 *   36 u32 reserved
 *   40 records: u32 offsetDelta, f64 timestamp, i32 keyLength (-1 = null), key,
 *      i32 valueLength (-1 = null = tombstone), value, u16 headerCount,
 *      headerCount × (u16 nameLength, name, u32 valueLength, value) in UTF-8.
 */
export const FRAME_HEADER_BYTES = 40;
export const FRAME_MAGIC = 0xb1;
const RECORD_FIXED_BYTES = 4 + 8 + 4 + 4 + 2;

/** The fields of a frame header. */
export interface FrameHeader {
  readonly length: number;
  readonly crc: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
  readonly maxTimestamp: number;
}

/** A record to encode with its absolute offset (compaction re-encodes with gaps). */
export interface OffsetRecord {
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: Headers;
  readonly timestamp?: number;
}

const EMPTY_HEADERS: Headers = Object.freeze({});

/** Encoded size of one record's body (what `maxRecordBytes` limits). */
export function recordBytes(r: RecordInput): number {
  let n = RECORD_FIXED_BYTES + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  if (r.headers !== undefined) {
    for (const name in r.headers) {
      n += 6 + Buffer.byteLength(name) + Buffer.byteLength(r.headers[name]!);
    }
  }
  return n;
}

/** Bytes of the frame holding records of `sizes` (each `recordBytes(record)`). */
export function frameBytes(sizes: readonly number[]): number {
  let total = FRAME_HEADER_BYTES;
  for (const s of sizes) total += s;
  return total;
}

/**
 * Encode records into one frame Buffer. `sizes[i]` must be `recordBytes(records[i])`.
 * Records without a timestamp get `now`. Offsets are `baseOffset + i` unless given.
 */
export function encodeFrame(
  records: readonly (RecordInput | OffsetRecord)[],
  sizes: readonly number[],
  baseOffset: number,
  now: number,
): Buffer {
  const buf = Buffer.allocUnsafe(frameBytes(sizes));
  encodeFrameInto(buf, records, baseOffset, now);
  return buf;
}

/**
 * Encode records as one frame into `buf`, which must be exactly `frameBytes(sizes)` long
 * (e.g. a slice of a reused write buffer, so appends allocate nothing per batch). Throws,
 * without writing outside `buf`, when the records do not fill it exactly.
 */
export function encodeFrameInto(
  buf: Buffer,
  records: readonly (RecordInput | OffsetRecord)[],
  baseOffset: number,
  now: number,
): void {
  const total = buf.length;
  const v = new DataView(buf.buffer, buf.byteOffset, total);
  let p = FRAME_HEADER_BYTES;
  let maxTs = 0;
  let lastDelta = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const off = (r as OffsetRecord).offset;
    lastDelta = off === undefined ? i : off - baseOffset;
    const ts = r.timestamp ?? now;
    if (ts > maxTs) maxTs = ts;
    p = writeRecord(buf, v, p, r, lastDelta, ts);
  }
  if (p !== total) throw new Error(`frame encoding wrote ${p} bytes, expected ${total}`);
  writeHeader(buf, total, baseOffset, lastDelta, records.length, maxTs);
}

function writeRecord(
  buf: Buffer,
  v: DataView,
  p: number,
  r: RecordInput,
  delta: number,
  ts: number,
): number {
  v.setUint32(p, delta, true);
  v.setFloat64(p + 4, ts, true);
  p = writeBytes(buf, v, p + 12, r.key);
  p = writeBytes(buf, v, p, r.value);
  const h = r.headers;
  let count = 0;
  const countAt = p;
  p += 2;
  if (h !== undefined) {
    for (const name in h) {
      const nameLen = buf.write(name, p + 2, 'utf8');
      v.setUint16(p, nameLen, true);
      p += 2 + nameLen;
      const valLen = buf.write(h[name]!, p + 4, 'utf8');
      v.setUint32(p, valLen, true);
      p += 4 + valLen;
      count++;
    }
  }
  v.setUint16(countAt, count, true);
  return p;
}

function writeBytes(buf: Buffer, v: DataView, p: number, b: Uint8Array | null): number {
  if (b === null) {
    v.setInt32(p, -1, true);
    return p + 4;
  }
  v.setInt32(p, b.length, true);
  buf.set(b, p + 4);
  return p + 4 + b.length;
}

function writeHeader(
  buf: Buffer,
  total: number,
  baseOffset: number,
  lastDelta: number,
  count: number,
  maxTs: number,
): void {
  buf.writeUInt32LE(total, 0);
  buf.writeUInt8(FRAME_MAGIC, 8);
  buf.writeUInt8(0, 9);
  buf.writeUInt16LE(0, 10);
  buf.writeDoubleLE(baseOffset, 12);
  buf.writeUInt32LE(lastDelta, 20);
  buf.writeUInt32LE(count, 24);
  buf.writeDoubleLE(maxTs, 28);
  buf.writeUInt32LE(0, 36);
  buf.writeUInt32LE(crc32c(buf.subarray(8)), 4);
}

/** Parse a frame header at `p` (the caller checked that 40 bytes are there). */
export function readFrameHeader(buf: Buffer, p: number): FrameHeader {
  const baseOffset = buf.readDoubleLE(p + 12);
  return {
    length: buf.readUInt32LE(p),
    crc: buf.readUInt32LE(p + 4),
    baseOffset,
    lastOffset: baseOffset + buf.readUInt32LE(p + 20),
    count: buf.readUInt32LE(p + 24),
    maxTimestamp: buf.readDoubleLE(p + 28),
  };
}

/** Whether the header at `p` is plausible (magic, sane length) before trusting its length. */
export function headerLooksValid(buf: Buffer, p: number): boolean {
  const len = buf.readUInt32LE(p);
  return len >= FRAME_HEADER_BYTES && buf[p + 8] === FRAME_MAGIC;
}

/** Whether the CRC of the complete frame at `buf[p, p+length)` matches. */
export function frameCrcOk(buf: Buffer, p: number, length: number): boolean {
  return crc32c(buf.subarray(p + 8, p + length)) === buf.readUInt32LE(p + 4);
}

/**
 * Decode the records of the (CRC-checked) frame at `p`, pushing those with offset >= `from`
 * onto `out`. Keys and values are plain Uint8Array views into `buf` (no copies).
 */
export function decodeFrame(
  buf: Buffer,
  p: number,
  topic: string,
  partition: number,
  from: number,
  out: LogRecord[],
): void {
  // DataView reads and Uint8Array-constructor views: several times cheaper than Buffer#readX
  // and Buffer#subarray per record on Node 20 (replay is bound by this loop).
  const ab = buf.buffer;
  const bo = buf.byteOffset;
  const v = new DataView(ab, bo, buf.length);
  const base = v.getFloat64(p + 12, true);
  const count = v.getUint32(p + 24, true);
  let q = p + FRAME_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const offset = base + v.getUint32(q, true);
    const timestamp = v.getFloat64(q + 4, true);
    const keyLen = v.getInt32(q + 12, true);
    q += 16;
    const key = keyLen < 0 ? null : new Uint8Array(ab, bo + q, keyLen);
    if (keyLen > 0) q += keyLen;
    const valueLen = v.getInt32(q, true);
    q += 4;
    const value = valueLen < 0 ? null : new Uint8Array(ab, bo + q, valueLen);
    if (valueLen > 0) q += valueLen;
    const headerCount = v.getUint16(q, true);
    q += 2;
    let headers = EMPTY_HEADERS;
    if (headerCount > 0) {
      const h: Record<string, string> = {};
      for (let j = 0; j < headerCount; j++) {
        const nl = v.getUint16(q, true);
        const name = buf.toString('utf8', q + 2, q + 2 + nl);
        q += 2 + nl;
        const vl = v.getUint32(q, true);
        h[name] = buf.toString('utf8', q + 4, q + 4 + vl);
        q += 4 + vl;
      }
      headers = h;
    }
    if (offset >= from) out.push({ topic, partition, offset, key, value, headers, timestamp });
  }
}
