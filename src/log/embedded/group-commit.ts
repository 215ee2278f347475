/**
 * Group commit: concurrent appends queue their encoded frames; one flush writes every queued
 * frame with one `writev` and one `fdatasync`, then resolves them all. While a flush runs, new
 * frames gather for the next one, so under load each fsync covers many batches. `lingerMs > 0`
 * waits that long before a flush to gather more (trading latency for fewer fsyncs).
 *
 * A flush has two steps, `write` then `sync`, and they are pipelined: frames queued when a
 * sync starts are written while it runs, and their own sync starts only after that one
 * settled. A group is acknowledged only after its own sync; when a sync fails, the group
 * written behind it is rejected too (the owner truncates what was never made durable).
 *
 * The bytes waiting for a flush are bounded (`maxQueuedBytes`, strategy: block): `room()`
 * resolves when there is space, so producers feel backpressure instead of growing memory.
 *
 * A failed flush rejects its frames and every queued frame (their offsets follow the failed
 * ones), and nothing is retried: the owner decides how to recover.
 *
 * Write buffers: `enqueueEncoded` encodes a frame straight into a reused buffer (an arena), so
 * the frames of one group are contiguous and a flush writes them as one buffer (`coalesce`).
 * Arenas are recycled: one fills while others are being flushed; an arena is reused only after
 * its group's flush settled, so no write ever sees bytes change under it. Allocating fresh
 * memory per batch cost more than the write itself (page faults, GC of external memory).
 */
export class GroupCommit<T = void> {
  readonly #steps: FlushSteps<T>;
  readonly #lingerMs: number;
  #queue: Pending[] = [];
  #running = false;
  #scheduled = false;
  #idle: (() => void)[] = [];
  readonly #maxQueuedBytes: number;
  #queuedBytes = 0;
  #roomWaiters: (() => void)[] = [];
  /** The arena new frames are encoded into, and how much of it is taken. */
  #fill: Buffer | undefined;
  #used = 0;
  /** Flushed arenas, ready to become the next `#fill`. */
  #free: Buffer[] = [];

  /** `flush`: the two steps, or one function that makes the frames durable by itself. */
  constructor(
    flush: FlushSteps<T> | ((frames: Buffer[]) => Promise<T>),
    lingerMs: number,
    maxQueuedBytes: number,
  ) {
    this.#steps =
      typeof flush === 'function' ? { write: flush, sync: () => Promise.resolve() } : flush;
    this.#lingerMs = lingerMs;
    this.#maxQueuedBytes = maxQueuedBytes;
  }

  /** Whether the queue has room for more bytes now (else await `room()`). */
  get hasRoom(): boolean {
    return this.#queuedBytes < this.#maxQueuedBytes;
  }

  /** Resolves when the queue has room for more bytes (immediately when it has). */
  async room(): Promise<void> {
    while (this.#queuedBytes >= this.#maxQueuedBytes) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
  }

  /** Queue a frame; resolves once it is durable, rejects if its flush failed. */
  enqueue(frame: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ frame, resolve, reject });
      this.#queuedBytes += frame.length;
      this.#schedule();
    });
  }

  /**
   * Queue a frame of `size` bytes that `encode` writes into the buffer it is given (a slice of
   * the current arena); resolves once it is durable. If `encode` throws, nothing is queued.
   */
  enqueueEncoded(size: number, encode: (target: Buffer) => void): Promise<void> {
    const frame = this.#reserve(size);
    try {
      encode(frame);
    } catch (err) {
      if (frame.buffer === this.#fill?.buffer) this.#used -= size;
      throw err;
    }
    return this.enqueue(frame);
  }

  #reserve(size: number): Buffer {
    if (size > MAX_ARENA_BYTES / 4) return Buffer.allocUnsafeSlow(size);
    let a = this.#fill;
    if (a === undefined || this.#used + size > a.length) {
      // Too small: take the spare if it fits, else a bigger arena. A replaced arena that holds
      // queued frames stays referenced by them until their flush and is then dropped.
      const cap = Math.max(MIN_ARENA_BYTES, a === undefined ? 0 : a.length * 2);
      const spare = this.#free.findIndex((b) => b.length >= size);
      if (spare >= 0) {
        a = this.#free[spare]!;
        this.#free.splice(spare, 1);
      } else {
        let n = cap;
        while (n < size) n *= 2;
        a = Buffer.allocUnsafeSlow(Math.min(n, MAX_ARENA_BYTES));
      }
      this.#fill = a;
      this.#used = 0;
    }
    const frame = a.subarray(this.#used, this.#used + size);
    this.#used += size;
    return frame;
  }

  /** Resolves when nothing is queued or being flushed. */
  drained(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Reject everything queued (not yet handed to a flush) with `err`. */
  rejectQueued(err: unknown): void {
    const queued = this.#queue;
    this.#queue = [];
    this.#used = 0; // the queued frames are dropped, never written: their bytes may be reused
    this.#release(queued);
    for (const p of queued) p.reject(err);
  }

  /** Bytes handed to a flush (or rejected) leave the queue: wake producers waiting for room. */
  #release(group: readonly Pending[]): void {
    for (const p of group) this.#queuedBytes -= p.frame.length;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const w of waiters) w();
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    const go = () => {
      this.#scheduled = false;
      void this.#run();
    };
    if (this.#lingerMs > 0) setTimeout(go, this.#lingerMs);
    else setImmediate(go);
  }

  async #run(): Promise<void> {
    this.#running = true;
    // The previous group's sync, settling with whether it succeeded.
    let syncing: Promise<boolean> | undefined;
    for (;;) {
      if (this.#queue.length === 0) {
        if (syncing === undefined) break;
        // Nothing to write behind it: wait for it. (Waking up to write each early arrival
        // made groups tiny and doubled the fsyncs at light load; p99 got worse.)
        await syncing;
        syncing = undefined; // settled; a failure already rejected everything queued
        continue;
      }
      const group = this.#queue;
      this.#queue = [];
      this.#release(group);
      const arena = this.#fill;
      const bytes = this.#used;
      this.#fill = this.#free.pop();
      this.#used = 0;
      const fail = (err: unknown) => {
        for (const p of group) p.reject(err);
        this.rejectQueued(err);
        this.#recycle(arena, bytes);
      };
      let token: T;
      try {
        token = await this.#steps.write(group.map((p) => p.frame));
      } catch (err) {
        if (syncing !== undefined) await syncing;
        syncing = undefined;
        fail(err);
        continue;
      }
      if (syncing !== undefined) {
        const ok = await syncing;
        syncing = undefined;
        if (!ok) {
          // Written behind a failed sync: never acknowledged (the owner truncates it).
          fail(this.#syncError);
          continue;
        }
      }
      syncing = this.#steps.sync(token).then(
        () => {
          for (const p of group) p.resolve();
          this.#recycle(arena, bytes);
          return true;
        },
        (err: unknown) => {
          this.#syncError = err;
          fail(err);
          return false;
        },
      );
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }

  #syncError: unknown;

  /**
   * A group's flush settled: nothing reads its arena any more. Keep it for reuse unless it is
   * far bigger than the traffic (then a smaller one is allocated when needed).
   */
  #recycle(arena: Buffer | undefined, bytes: number): void {
    if (arena === undefined) return;
    if (bytes * 16 < arena.length && arena.length > MIN_ARENA_BYTES) return;
    if (this.#fill === undefined) this.#fill = arena;
    else if (this.#free.length < 2) this.#free.push(arena);
  }
}

/** The two steps of a group flush (see `GroupCommit`). */
export interface FlushSteps<T> {
  /** Write the frames (not yet durable); resolves with what `sync` needs. */
  write(frames: Buffer[]): Promise<T>;
  /** Make what `write` wrote durable. */
  sync(token: T): Promise<void>;
}

const MIN_ARENA_BYTES = 64 * 1024;
const MAX_ARENA_BYTES = 16 * 1024 * 1024;

/**
 * Join frames that lie back to back in the same memory (one arena) into single views, so a
 * group is written with as few buffers as possible. The bytes and their order are unchanged.
 */
export function coalesce(frames: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let first: Buffer | undefined;
  let end = 0;
  const close = () => {
    if (first === undefined) return;
    const len = end - first.byteOffset;
    out.push(len === first.length ? first : Buffer.from(first.buffer, first.byteOffset, len));
  };
  for (const f of frames) {
    if (first !== undefined && f.buffer === first.buffer && f.byteOffset === end) {
      end += f.length;
      continue;
    }
    close();
    first = f;
    end = f.byteOffset + f.length;
  }
  close();
  return out;
}

interface Pending {
  readonly frame: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}
