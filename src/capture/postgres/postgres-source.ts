import pg from 'pg';
import { isRetryable, UnbundledError } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import { CaptureSession } from './capture-session.ts';
import { type CaptureStatus, StatusChannel } from './capture-status.ts';
import { slotLagBytes } from './slot.ts';
import {
  type PostgresSourceOptions,
  type ResolvedSourceOptions,
  resolveSourceOptions,
} from './source-options.ts';

/** Lag of the capture behind the source. */
export interface CaptureLag {
  /** WAL bytes between the server's current position and what the slot has confirmed. */
  readonly bytes: number | null;
  /** Seconds since the last acknowledgement while bytes are outstanding (0 when caught up). */
  readonly seconds: number;
}

/**
 * A Postgres change-data-capture source (logical replication, pgoutput). `run(log, signal)`
 * captures until the signal aborts, reconnecting with jittered backoff on retryable errors
 * (connection lost, server restart, slot briefly held by a dying consumer) and rejecting on the
 * others (wal_level, permissions, missing primary key, slot dropped or invalidated, database
 * replaced). Every committed change lands in the log exactly once, in commit order, with
 * transaction boundaries; the slot is acknowledged only after the log has fsynced.
 */
export class PostgresSource {
  readonly #o: ResolvedSourceOptions;
  readonly #status = new StatusChannel();
  #lastAckAt = Date.now();
  #lastAcked = '';

  constructor(options: PostgresSourceOptions) {
    this.#o = resolveSourceOptions(options);
  }

  /** Latest status. */
  get current(): CaptureStatus {
    return this.#status.current;
  }

  /** Status changes as an AsyncIterable (ends when the capture stops or fails). */
  status(signal?: AbortSignal): AsyncIterable<CaptureStatus> {
    return this.#status.iterate(signal);
  }

  /** Capture into `log` until `signal` aborts (resolves) or a non-retryable error (rejects). */
  async run(log: Log, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      const session = new CaptureSession(this.#o, log, this.#status);
      const started = Date.now();
      try {
        await session.run(signal);
      } catch (err) {
        const error = toError(err);
        if (!isRetryable(error) || signal.aborted) {
          if (signal.aborted) break;
          this.#status.publish({ type: 'failed', error });
          throw error;
        }
        attempt = Date.now() - started > 30_000 ? 1 : attempt + 1;
        const delayMs = Math.min(5_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.#status.publish({ type: 'retrying', error, delayMs });
        await sleep(delayMs, signal);
      }
    }
    this.#status.publish({ type: 'stopped' });
  }

  /** Lag of the slot (bytes from the server, seconds since progress). */
  async lag(): Promise<CaptureLag> {
    const client = new pg.Client(this.#o.connection);
    await client.connect();
    try {
      const bytes = await slotLagBytes(client, this.#o.slot);
      const s = this.#status.current;
      if (s.type === 'streaming' && s.ackedLsn !== this.#lastAcked) {
        this.#lastAcked = s.ackedLsn;
        this.#lastAckAt = Date.now();
      }
      const seconds = bytes && bytes > 0 ? (Date.now() - this.#lastAckAt) / 1000 : 0;
      return { bytes, seconds };
    } finally {
      await client.end();
    }
  }
}

/**
 * Create a Postgres CDC source.
 *
 * @example
 * const source = postgres({ connection: 'postgres://app@db/shop', tables: ['orders'] });
 * const ac = new AbortController();
 * await source.run(log, ac.signal); // topics pg.public.orders, pg.transactions, pg.capture
 */
export function postgres(options: PostgresSourceOptions): PostgresSource {
  return new PostgresSource(options);
}

function toError(err: unknown): UnbundledError {
  if (err instanceof UnbundledError) return err;
  return new UnbundledError('CAPTURE_FAILED', String((err as Error)?.message ?? err), {
    cause: err,
    retryable: isRetryable(err),
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
