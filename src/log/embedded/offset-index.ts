import { crc32c } from '@node-rs/crc32';

/**
 * Sparse offset index of one segment: every `intervalBytes` of log, the base offset of a frame
 * and its byte position. A lookup gives the position of the last indexed frame at or before an
 * offset; the reader scans forward from there. Built in memory while appending or scanning;
 * persisted as `<base>.index` when a segment is closed (`encode`/`decode`, CRC-checked and
 * stamped with the segment size, so a damaged or stale index is detected and rebuilt).
 */
export class OffsetIndex {
  readonly #intervalBytes: number;
  #offsets: number[] = [];
  #positions: number[] = [];
  #lastIndexedPosition = -Infinity;

  constructor(intervalBytes: number) {
    this.#intervalBytes = intervalBytes;
  }

  /** Number of entries (for stats). */
  get size(): number {
    return this.#offsets.length;
  }

  /** Note a frame with `baseOffset` starting at byte `position` (frames arrive in order). */
  maybeAdd(baseOffset: number, position: number): void {
    if (position - this.#lastIndexedPosition < this.#intervalBytes) return;
    this.#offsets.push(baseOffset);
    this.#positions.push(position);
    this.#lastIndexedPosition = position;
  }

  /** Byte position to start scanning from to find `offset` (0 when before every entry). */
  lookup(offset: number): number {
    let lo = 0;
    let hi = this.#offsets.length - 1;
    let best = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#offsets[mid]! <= offset) {
        best = this.#positions[mid]!;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  }

  /** Drop entries at or past `position` (after truncating the segment there). */
  truncate(position: number): void {
    let n = this.#positions.length;
    while (n > 0 && this.#positions[n - 1]! >= position) n--;
    this.#offsets.length = n;
    this.#positions.length = n;
    this.#lastIndexedPosition = n > 0 ? this.#positions[n - 1]! : -Infinity;
  }

  /** Serialize with the segment facts it describes (see `index-file.ts`). */
  encode(meta: SegmentMeta, baseOffset: number): Buffer {
    const buf = Buffer.allocUnsafe(INDEX_HEADER + 8 * this.#offsets.length);
    buf.writeUInt32LE(INDEX_MAGIC, 0);
    buf.writeDoubleLE(meta.size, 8);
    buf.writeDoubleLE(meta.lastOffset, 16);
    buf.writeDoubleLE(meta.records, 24);
    buf.writeDoubleLE(meta.maxTimestamp, 32);
    for (let i = 0; i < this.#offsets.length; i++) {
      buf.writeUInt32LE(this.#offsets[i]! - baseOffset, INDEX_HEADER + 8 * i);
      buf.writeUInt32LE(this.#positions[i]!, INDEX_HEADER + 4 + 8 * i);
    }
    buf.writeUInt32LE(crc32c(buf.subarray(8)), 4);
    return buf;
  }

  /**
   * Parse a serialized index; undefined when it is damaged (CRC) or describes a segment of
   * another size (a stale index: the segment was truncated or rewritten since).
   */
  static decode(
    buf: Buffer,
    segmentSize: number,
    baseOffset: number,
    intervalBytes: number,
  ): { index: OffsetIndex; meta: SegmentMeta } | undefined {
    if (buf.length < INDEX_HEADER || (buf.length - INDEX_HEADER) % 8 !== 0) return undefined;
    if (buf.readUInt32LE(0) !== INDEX_MAGIC || crc32c(buf.subarray(8)) !== buf.readUInt32LE(4)) {
      return undefined;
    }
    const meta: SegmentMeta = {
      size: buf.readDoubleLE(8),
      lastOffset: buf.readDoubleLE(16),
      records: buf.readDoubleLE(24),
      maxTimestamp: buf.readDoubleLE(32),
    };
    if (meta.size !== segmentSize) return undefined;
    const index = new OffsetIndex(intervalBytes);
    for (let p = INDEX_HEADER; p < buf.length; p += 8) {
      const position = buf.readUInt32LE(p + 4);
      if (position >= segmentSize) return undefined;
      index.#offsets.push(baseOffset + buf.readUInt32LE(p));
      index.#positions.push(position);
      index.#lastIndexedPosition = position;
    }
    return { index, meta };
  }
}

/** Facts about a closed segment stored with its index, so opening it needs no scan. */
export interface SegmentMeta {
  readonly size: number;
  readonly lastOffset: number;
  readonly records: number;
  readonly maxTimestamp: number;
}

const INDEX_HEADER = 40;
const INDEX_MAGIC = 0x5542_4958; // "UBIX"
