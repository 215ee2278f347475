import { join } from 'node:path';
import type { FsOps } from './fs-ops.ts';
import type { OffsetIndex } from './offset-index.ts';

/** File name of the segment whose first offset is `base`: 20 digits so names sort by offset. */
export function segmentFileName(base: number): string {
  return `${String(base).padStart(20, '0')}.log`;
}

/** Parse a segment file name; undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * One segment file: the records from `base` up to the next segment's base. Holds an open read
 * descriptor for its whole life, so a reader keeps a consistent view of this inode even if
 * compaction renames a rewritten file over the path or retention unlinks it; the descriptor is
 * closed when the segment is retired and the last reader released it.
 */
export class Segment {
  readonly base: number;
  readonly path: string;
  readonly index: OffsetIndex;
  /** Bytes of durable (fsynced), complete frames. Readers never read past it. */
  size: number;
  /** Offset of the last record in the segment (base - 1 when empty). */
  lastOffset: number;
  maxTimestamp: number;
  records: number;
  readonly #ops: FsOps;
  readonly #fd: number;
  #refs = 0;
  #retired = false;

  constructor(init: {
    dir: string;
    base: number;
    fd: number;
    ops: FsOps;
    index: OffsetIndex;
    size: number;
    lastOffset: number;
    maxTimestamp: number;
    records: number;
  }) {
    this.base = init.base;
    this.path = join(init.dir, segmentFileName(init.base));
    this.#fd = init.fd;
    this.#ops = init.ops;
    this.index = init.index;
    this.size = init.size;
    this.lastOffset = init.lastOffset;
    this.maxTimestamp = init.maxTimestamp;
    this.records = init.records;
  }

  /** The read descriptor; call `acquire` first and `release` when done. */
  get fd(): number {
    return this.#fd;
  }

  get retired(): boolean {
    return this.#retired;
  }

  acquire(): void {
    this.#refs++;
  }

  async release(): Promise<void> {
    this.#refs--;
    if (this.#retired && this.#refs === 0) await this.#ops.close(this.#fd);
  }

  /** Mark the segment gone (deleted or replaced); its descriptor closes after the last reader. */
  async retire(): Promise<void> {
    if (this.#retired) return;
    this.#retired = true;
    if (this.#refs === 0) await this.#ops.close(this.#fd);
  }
}
