/**
 * Group commit: concurrent appends queue their encoded frames; one flush writes every queued
 * frame with one `writev` and one `fdatasync`, then resolves them all. While a flush runs, new
 * frames gather for the next one, so under load each fsync covers many batches. `lingerMs > 0`
 * waits that long before a flush to gather more (trading latency for fewer fsyncs).
 *
 * The bytes waiting for a flush are bounded (`maxQueuedBytes`, strategy: block): `room()`
 * resolves when there is space, so producers feel backpressure instead of growing memory.
 *
 * A failed flush rejects its frames and every queued frame (their offsets follow the failed
 * ones), and nothing is retried: the owner decides how to recover.
 */
export class GroupCommit {
  readonly #flush: (frames: Buffer[]) => Promise<void>;
  readonly #lingerMs: number;
  #queue: Pending[] = [];
  #running = false;
  #scheduled = false;
  #idle: (() => void)[] = [];
  readonly #maxQueuedBytes: number;
  #queuedBytes = 0;
  #roomWaiters: (() => void)[] = [];

  constructor(
    flush: (frames: Buffer[]) => Promise<void>,
    lingerMs: number,
    maxQueuedBytes: number,
  ) {
    this.#flush = flush;
    this.#lingerMs = lingerMs;
    this.#maxQueuedBytes = maxQueuedBytes;
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

  /** Resolves when nothing is queued or being flushed. */
  drained(): Promise<void> {
    if (!this.#running && !this.#scheduled && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Reject everything queued (not yet handed to a flush) with `err`. */
  rejectQueued(err: unknown): void {
    const queued = this.#queue;
    this.#queue = [];
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
    while (this.#queue.length > 0) {
      const group = this.#queue;
      this.#queue = [];
      this.#release(group);
      try {
        await this.#flush(group.map((p) => p.frame));
        for (const p of group) p.resolve();
      } catch (err) {
        for (const p of group) p.reject(err);
        this.rejectQueued(err);
      }
    }
    this.#running = false;
    const idle = this.#idle;
    this.#idle = [];
    for (const f of idle) f();
  }
}

interface Pending {
  readonly frame: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}
