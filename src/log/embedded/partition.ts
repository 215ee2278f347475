import { join } from 'node:path';
import { type RecordInput, UnbundledError } from '../../core/index.ts';
import { invalidArgument, LOG_ERROR_CODES, logClosed } from '../errors.ts';
import type { AppendResult } from '../types.ts';
import { mkdirDurable } from './atomic-file.ts';
import { encodeFrameInto, frameBytes, readFrameHeader, recordBytes } from './batch-codec.ts';
import { writeAll } from './fs-ops.ts';
import { coalesce, GroupCommit } from './group-commit.ts';
import { OffsetIndex } from './offset-index.ts';
import type { ResolvedOptions } from './options.ts';
import { refreshSegments } from './read-only-refresh.ts';
import { openSegments, readOnlyError, saveIndex } from './recovery.ts';
import { Segment, segmentFileName } from './segment.ts';

/**
 * One partition: an ordered list of segment files, the last one active (appended to). Appends
 * are encoded into one frame per batch and made durable by group commit; readers see only
 * durable frames and wait on `waitForAppend` to tail.
 */
export class Partition {
  readonly topic: string;
  readonly id: number;
  readonly dir: string;
  readonly #o: ResolvedOptions;
  #segments: Segment[];
  #writeFd: number;
  #nextOffset: number;
  readonly #commit: GroupCommit<Written>;
  /** End of the bytes written to the active segment (durable or not): where the next write goes. */
  #written: number;
  /** The sync in flight, if any (a roll waits for it before closing the descriptor). */
  #syncing: Promise<void> | undefined;
  #failed: unknown;
  #recovering: Promise<void> | undefined;
  #waiters = new Set<() => void>();
  #keepAlive: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(
    topic: string,
    id: number,
    dir: string,
    o: ResolvedOptions,
    segs: Segment[],
    fd: number,
  ) {
    this.topic = topic;
    this.id = id;
    this.dir = dir;
    this.#o = o;
    this.#segments = segs;
    this.#writeFd = fd;
    this.#nextOffset = segs[segs.length - 1]!.lastOffset + 1;
    this.#written = this.active.size;
    this.#commit = new GroupCommit<Written>(
      { write: (frames) => this.#writeGroup(frames), sync: (w) => this.#syncGroup(w) },
      o.lingerMs,
      o.maxQueuedBytes,
    );
  }

  /** Open (or create) the partition directory, recovering a torn tail of the last segment. */
  static async open(
    dir: string,
    topic: string,
    id: number,
    o: ResolvedOptions,
  ): Promise<Partition> {
    if (!o.readOnly) await mkdirDurable(o.fs, dir, o.dir);
    const { segments, writeFd } = await openSegments(dir, topic, id, o);
    return new Partition(topic, id, dir, o, segments, writeFd);
  }

  /** Segments oldest first (the last is active). */
  get segments(): readonly Segment[] {
    return this.#segments;
  }

  get active(): Segment {
    return this.#segments[this.#segments.length - 1]!;
  }

  /** One past the last durable offset. */
  get endOffset(): number {
    return this.active.lastOffset + 1;
  }

  /** First offset that may still be read. */
  get beginningOffset(): number {
    return this.#segments[0]!.base;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Append a batch atomically; resolves after it is durable. */
  async append(records: readonly RecordInput[]): Promise<AppendResult> {
    if (this.#o.readOnly) throw readOnlyError(`append to ${this.topic}/${this.id}`);
    const sizes = this.#validate(records);
    if (!this.#commit.hasRoom) await this.#commit.room();
    if (this.#failed !== undefined || this.#recovering) await this.#recover();
    if (this.#closed) throw logClosed();
    const base = this.#nextOffset;
    const now = Date.now();
    const durable = this.#commit.enqueueEncoded(frameBytes(sizes), (target) =>
      encodeFrameInto(target, records, base, now),
    );
    this.#nextOffset += records.length;
    await durable;
    return { partition: this.id, baseOffset: base, lastOffset: base + records.length - 1 };
  }

  /** Resolves when the durable end offset exceeds `end`, the partition closes, or `signal` aborts. */
  waitForAppend(end: number, signal?: AbortSignal): Promise<void> {
    if (this.endOffset > end || this.#closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        if (this.#waiters.size === 0) clearInterval(this.#keepAlive);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
      // A tailing reader keeps the process alive, as a socket would (a pending promise does not).
      // Read-only: nobody notifies us, so the timer polls the files instead.
      if (this.#waiters.size === 1) {
        this.#keepAlive = this.#o.readOnly
          ? setInterval(() => void this.#poll(), 100)
          : setInterval(() => {}, 1 << 30);
      }
    });
  }

  /** Swap segments (compaction, retention). `next` must keep the active segment last. */
  setSegments(next: Segment[]): void {
    if (next[next.length - 1] !== this.active) throw new Error('the active segment must stay last');
    this.#segments = next;
  }

  /** Finish queued appends, then release every descriptor. Readers end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#commit.drained();
    this.#closed = true;
    this.#notify();
    clearInterval(this.#keepAlive);
    if (this.#writeFd >= 0) await this.#o.fs.close(this.#writeFd).catch(() => {});
    for (const s of this.#segments) await s.retire();
  }

  #validate(records: readonly RecordInput[]): number[] {
    if (this.#closed) throw logClosed();
    if (records.length === 0) throw invalidArgument('append needs at least one record');
    const sizes = new Array<number>(records.length);
    let total = 0;
    for (let i = 0; i < records.length; i++) {
      const n = recordBytes(records[i]!);
      if (n > this.#o.maxRecordBytes)
        throw tooLarge(`record ${i} is ${n} bytes`, this.#o.maxRecordBytes, 'maxRecordBytes');
      sizes[i] = n;
      total += n;
    }
    if (total > this.#o.maxBatchBytes)
      throw tooLarge(`the batch is ${total} bytes`, this.#o.maxBatchBytes, 'maxBatchBytes');
    return sizes;
  }

  /** Group commit, step 1: write the group after what is written (the previous may still sync). */
  async #writeGroup(frames: Buffer[]): Promise<Written> {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      if (this.#written >= this.#o.segmentBytes) {
        // Roll only once everything written is durable: the old descriptor and index close.
        await this.#syncing?.catch(() => {});
        if (this.#failed !== undefined) throw this.#failed;
        await this.#roll();
        this.#written = 0;
      }
      const seg = this.active;
      const fd = this.#writeFd;
      this.#written += await writeAll(this.#o.fs, fd, coalesce(frames), this.#written);
      return { seg, fd, frames };
    } catch (cause) {
      this.#failed ??= ioError(this.topic, this.id, cause);
      throw this.#failed;
    }
  }

  /** Group commit, step 2: fdatasync, then readers may see the group. */
  #syncGroup(w: Written): Promise<void> {
    const run = async () => {
      if (this.#failed !== undefined) throw this.#failed;
      try {
        await this.#o.fs.fdatasync(w.fd);
      } catch (cause) {
        this.#failed ??= ioError(this.topic, this.id, cause);
        throw this.#failed;
      }
      this.#advance(w.seg, w.frames);
    };
    const p = run();
    this.#syncing = p;
    return p;
  }

  #advance(seg: Segment, frames: Buffer[]): void {
    let pos = seg.size;
    for (const f of frames) {
      const h = readFrameHeader(f, 0);
      seg.index.maybeAdd(h.baseOffset, pos);
      pos += h.length;
      seg.lastOffset = h.lastOffset;
      seg.records += h.count;
      if (h.maxTimestamp > seg.maxTimestamp) seg.maxTimestamp = h.maxTimestamp;
    }
    seg.size = pos;
    this.#notify();
  }

  async #roll(): Promise<void> {
    const base = this.active.lastOffset + 1;
    const path = join(this.dir, segmentFileName(base));
    const fs = this.#o.fs;
    const writeFd = await fs.open(path, 'w+');
    const readFd = await fs.open(path, 'r').catch(async (err: unknown) => {
      await fs.close(writeFd).catch(() => {});
      throw err;
    });
    await fs.fsyncDir(this.dir).catch(async (err: unknown) => {
      await fs.close(readFd).catch(() => {});
      await fs.close(writeFd).catch(() => {});
      throw err;
    });
    const index = new OffsetIndex(this.#o.indexIntervalBytes);
    const seg = new Segment({
      dir: this.dir,
      base,
      fd: readFd,
      ops: fs,
      index,
      size: 0,
      lastOffset: base - 1,
      maxTimestamp: 0,
      records: 0,
    });
    await fs.close(this.#writeFd).catch(() => {});
    this.#writeFd = writeFd;
    const closed = this.active;
    this.#segments = [...this.#segments, seg];
    await saveIndex(closed, this.#o);
  }

  /**
   * After a failed write or fsync: never fsync the same descriptor again (the kernel may have
   * dropped the dirty pages and cleared the error). Reopen the active segment from disk and
   * truncate it to the last durable size, dropping whatever the failed flush left behind.
   */
  #recover(): Promise<void> {
    this.#recovering ??= (async () => {
      await this.#commit.drained();
      const fs = this.#o.fs;
      const fd = await fs.open(this.active.path, 'r+');
      await fs.close(this.#writeFd).catch(() => {});
      this.#writeFd = fd;
      await fs.ftruncate(fd, this.active.size);
      await fs.fsync(fd);
      this.#written = this.active.size;
      this.#nextOffset = this.active.lastOffset + 1;
      this.#failed = undefined;
      this.#o.logger.warn(
        { topic: this.topic, partition: this.id, file: this.active.path, size: this.active.size },
        'reopened the partition after a failed write; truncated to the last durable size',
      );
    })().finally(() => {
      this.#recovering = undefined;
    });
    return this.#recovering;
  }

  #polling = false;

  async #poll(): Promise<void> {
    if (this.#polling || this.#closed) return;
    this.#polling = true;
    try {
      if (await refreshSegments(this, this.#o)) this.#notify();
    } catch (err) {
      this.#o.logger.warn(
        { err, topic: this.topic, partition: this.id },
        'read-only refresh failed',
      );
    } finally {
      this.#polling = false;
    }
  }

  /** Read-only mode: take in frames (and segments) another process appended. */
  absorb(seg: Segment, frames: Buffer[], newSegment?: Segment): void {
    if (frames.length > 0) this.#advance(seg, frames);
    if (newSegment !== undefined) this.#segments = [...this.#segments, newSegment];
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/** What a group write leaves for its sync. */
interface Written {
  readonly seg: Segment;
  readonly fd: number;
  readonly frames: Buffer[];
}

function tooLarge(what: string, limit: number, option: string): UnbundledError {
  return new UnbundledError(
    LOG_ERROR_CODES.recordTooLarge,
    `${what}, over the limit of ${limit} bytes; nothing was appended. Split the data, or raise the ${option} option`,
    { details: { limit, option } },
  );
}

function ioError(topic: string, partition: number, cause: unknown): UnbundledError {
  const code = (cause as { code?: string }).code ?? 'unknown';
  return new UnbundledError(
    LOG_ERROR_CODES.io,
    `writing to ${topic}/${partition} failed (${code}); nothing of the pending batches was acknowledged. ` +
      'Free disk space or check the device; the next append reopens the segment from disk',
    { retryable: true, cause, details: { topic, partition, errno: code } },
  );
}
