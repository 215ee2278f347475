import type pg from 'pg';
import { UnbundledError } from '../../core/index.ts';
import { classifyPgError } from './pg-errors.ts';
import { decodePgOutput, msToPgTime } from './pgoutput-decoder.ts';
import type { PgOutputMessage } from './pgoutput-messages.ts';

/** One frame of the replication stream, in server order. */
export type ReplicationFrame =
  | { readonly kind: 'data'; readonly walStart: bigint; readonly message: PgOutputMessage }
  | { readonly kind: 'keepalive'; readonly walEnd: bigint };

/** Options of `ReplicationStream.start`. */
export interface ReplicationStartOptions {
  readonly slot: string;
  readonly publication: string;
  readonly startLsn: string;
  /** Pause the socket when this many decoded frames wait (bounded memory). */
  readonly highWater?: number;
  /** LSN to report as flushed when the server asks for a reply. */
  readonly flushedLsn: () => bigint;
}

/**
 * A pgoutput stream over the replication protocol on a `pg` replication connection.
 * CopyData frames are decoded synchronously as they arrive (the driver reuses its buffer) into a
 * bounded queue; the socket pauses at `highWater` frames (block strategy) and resumes once the
 * consumer has drained half of it. Keepalives that request a reply are answered at once with
 * the durable LSN; the consumer sees every keepalive too, in order.
 */
export class ReplicationStream {
  readonly #client: pg.Client;
  readonly #opts: ReplicationStartOptions;
  #queue: ReplicationFrame[] = [];
  #head = 0;
  #error: unknown = null;
  #ended = false;
  #wake: (() => void) | null = null;
  #paused = false;

  private constructor(client: pg.Client, opts: ReplicationStartOptions) {
    this.#client = client;
    this.#opts = opts;
  }

  /** Start streaming on an already connected replication client. */
  static start(client: pg.Client, opts: ReplicationStartOptions): ReplicationStream {
    const s = new ReplicationStream(client, opts);
    s.#begin();
    return s;
  }

  #begin(): void {
    const { slot, publication, startLsn } = this.#opts;
    const con = (this.#client as unknown as { connection: PgConnection }).connection;
    con.on('copyData', (msg: { chunk: Buffer }) => this.#onCopyData(msg.chunk));
    this.#client.on('error', (err) => this.#fail(err));
    this.#client.on('end', () => this.#fail(connectionClosed()));
    const sql =
      `START_REPLICATION SLOT "${slot}" LOGICAL ${startLsn} ` +
      `(proto_version '1', publication_names '${publication.replace(/'/g, "''")}', messages 'true')`;
    this.#client.query(sql).then(
      () => this.#fail(connectionClosed()),
      (err) => this.#fail(err),
    );
  }

  #onCopyData(chunk: Buffer): void {
    try {
      const type = chunk[0];
      if (type === 0x77) {
        // 'w' XLogData: walStart, walEnd, sendTime, then the pgoutput message.
        const walStart = chunk.readBigUInt64BE(1);
        const message = decodePgOutput(chunk.subarray(25));
        this.#push({ kind: 'data', walStart, message });
      } else if (type === 0x6b) {
        // 'k' keepalive: walEnd, sendTime, replyRequested.
        const walEnd = chunk.readBigUInt64BE(1);
        if (chunk[17] === 1) this.sendStatus(this.#opts.flushedLsn());
        this.#push({ kind: 'keepalive', walEnd });
      }
    } catch (err) {
      this.#fail(err);
    }
  }

  #push(frame: ReplicationFrame): void {
    if (frame.kind === 'data' && frame.message.tag === 'message') {
      // The content is a view into the driver's reusable buffer: copy it.
      const m = frame.message;
      frame = { ...frame, message: { ...m, content: Buffer.from(m.content) } };
    }
    this.#queue.push(frame);
    if (!this.#paused && this.#queue.length - this.#head >= (this.#opts.highWater ?? 20_000)) {
      this.#paused = true;
      this.#socket()?.pause();
    }
    this.#notify();
  }

  #fail(err: unknown): void {
    if (this.#error !== null || this.#ended) return;
    this.#error = classifyPgError(err, 'replication stream');
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #socket(): { pause(): void; resume(): void } | undefined {
    return (this.#client as unknown as { connection: PgConnection }).connection.stream;
  }

  /** Frames waiting now (up to `max`); waits for at least one. Throws the stream's error. */
  async next(max = 5000): Promise<ReplicationFrame[]> {
    while (this.#head === this.#queue.length) {
      if (this.#error !== null) throw this.#error;
      if (this.#ended) return [];
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    const end = Math.min(this.#queue.length, this.#head + max);
    const out = this.#queue.slice(this.#head, end);
    this.#head = end;
    if (this.#head > 50_000 || this.#head === this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    if (this.#paused && this.#queue.length - this.#head < (this.#opts.highWater ?? 20_000) / 2) {
      this.#paused = false;
      this.#socket()?.resume();
    }
    return out;
  }

  /** True when no decoded frame is waiting. */
  get idle(): boolean {
    return this.#head === this.#queue.length;
  }

  /** Standby status update: everything up to `lsn` is durably stored (written = flushed = applied). */
  sendStatus(lsn: bigint, replyNow = false): void {
    if (this.#error !== null || this.#ended) return;
    const buf = Buffer.alloc(34);
    buf[0] = 0x72; // 'r'
    buf.writeBigUInt64BE(lsn, 1);
    buf.writeBigUInt64BE(lsn, 9);
    buf.writeBigUInt64BE(lsn, 17);
    buf.writeBigInt64BE(msToPgTime(Date.now()), 25);
    buf[33] = replyNow ? 1 : 0;
    const con = (this.#client as unknown as { connection: PgConnection }).connection;
    con.sendCopyFromChunk(buf);
  }

  /** Close the connection; pending frames are dropped (they are not acknowledged). */
  async close(): Promise<void> {
    this.#ended = true;
    this.#notify();
    await this.#client.end().catch(() => {});
  }
}

interface PgConnection {
  on(event: string, listener: (...args: never[]) => void): void;
  sendCopyFromChunk(buf: Buffer): void;
  stream: { pause(): void; resume(): void };
}

function connectionClosed(): UnbundledError {
  return new UnbundledError(
    'CAPTURE_CONNECTION_LOST',
    'the replication connection closed (server restart, pg_terminate_backend or network); the capture reconnects and resumes from the slot',
    { retryable: true },
  );
}
