/**
 * Sparse offset index of one segment: every `intervalBytes` of log, the base offset of a frame
 * and its byte position. A lookup gives the position of the last indexed frame at or before an
 * offset; the reader scans forward from there. In memory; persisted as `<base>.index` when a
 * segment is closed (`encode`/`decode`), stamped with the segment size it describes so a stale
 * index (crash between a compaction's renames) is detected and rebuilt by a scan.
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

  /** Serialize, stamped with the size of the segment this index describes. */
  encode(segmentSize: number, baseOffset: number): Buffer {
    const buf = Buffer.allocUnsafe(16 + 8 * this.#offsets.length);
    buf.writeUInt32LE(INDEX_MAGIC, 0);
    buf.writeUInt32LE(0, 4);
    buf.writeDoubleLE(segmentSize, 8);
    for (let i = 0; i < this.#offsets.length; i++) {
      buf.writeUInt32LE(this.#offsets[i]! - baseOffset, 16 + 8 * i);
      buf.writeUInt32LE(this.#positions[i]!, 20 + 8 * i);
    }
    return buf;
  }

  /** Parse an index file; undefined when it is malformed or describes another segment size. */
  static decode(
    buf: Buffer,
    segmentSize: number,
    baseOffset: number,
    intervalBytes: number,
  ): OffsetIndex | undefined {
    if (buf.length < 16 || (buf.length - 16) % 8 !== 0) return undefined;
    if (buf.readUInt32LE(0) !== INDEX_MAGIC || buf.readDoubleLE(8) !== segmentSize)
      return undefined;
    const index = new OffsetIndex(intervalBytes);
    for (let p = 16; p < buf.length; p += 8) {
      const position = buf.readUInt32LE(p + 4);
      if (position >= segmentSize) return undefined;
      index.#offsets.push(baseOffset + buf.readUInt32LE(p));
      index.#positions.push(position);
      index.#lastIndexedPosition = position;
    }
    return index;
  }
}

const INDEX_MAGIC = 0x5542_4958; // "UBIX"
