import { PGlite } from '@electric-sql/pglite';
import { isRetryable, transactionsTopic, UnbundledError } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import { type CaptureStatus, StatusChannel } from '../postgres/capture-status.ts';
import { ChangeWriter } from '../postgres/change-writer.ts';
import type { CaptureLag } from '../postgres/postgres-source.ts';
import { NOTIFY_CHANNEL } from './capture-sql.ts';
import { ChangeRelay, type RelayPass } from './change-relay.ts';
import { changeBacklog } from './change-rows.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { installCapture } from './install-capture.ts';
import { ShapeCache } from './schema-cache.ts';
import {
  type PgliteSourceOptions,
  type ResolvedPgliteOptions,
  resolvePgliteOptions,
} from './source-options.ts';
import { WakeSignal } from './wake-signal.ts';

/**
 * Change capture for PGlite, the embedded source of truth. PGlite has no logical replication,
 * so triggers write every change into `unbundled_changes` in the writing transaction, and a
 * relay moves committed changes into the log with the same envelope as Postgres CDC: topic per
 * table (`pg.public.orders`), keyed by primary key, `ub-pos` positions, `ub-tx: commit` on each
 * partition's last record of a transaction, one commit record per transaction in
 * `pg.transactions` — whole transactions, in commit order, exactly once (see `ChangeRelay`).
 *
 * Durability: PGlite runs with fsync off and its Node filesystem ignores fsync (emscripten NODEFS
 * has none), so PGlite commits survive a process crash (the OS has the writes) but not an OS
 * crash or power loss. The log side is fsynced before change rows are deleted.
 */
export class PgliteSource {
  readonly #o: ResolvedPgliteOptions;
  readonly #status = new StatusChannel();
  readonly #wake = new WakeSignal();
  #db: PGlite | null = null;
  #release: (() => void) | null = null;
  #busy: 'run' | 'drain' | null = null;
  #totals = { transactions: 0, rows: 0 };

  constructor(options: PgliteSourceOptions) {
    this.#o = resolvePgliteOptions(options);
  }

  /** Latest status. */
  get current(): CaptureStatus {
    return this.#status.current;
  }

  /** Status changes as an AsyncIterable (ends when the capture stops or fails). */
  status(signal?: AbortSignal): AsyncIterable<CaptureStatus> {
    return this.#status.iterate(signal);
  }

  /** Open (when given a data directory), lock, and install the capture triggers. Idempotent. */
  async open(): Promise<PGlite> {
    if (this.#db !== null) return this.#db;
    const given = this.#o.db;
    const dir = typeof given === 'string' ? given : given.dataDir;
    const release = isLocalDir(dir) ? lockDataDir(dir) : null;
    const db = typeof given === 'string' ? await PGlite.create(given).catch(fail) : given;
    try {
      await installCapture(db, this.#o.tables, { snapshot: this.#o.snapshot });
    } catch (err) {
      if (db !== given) await db.close().catch(() => {});
      fail(err);
    }
    this.#db = db;
    this.#release = release;
    return db;

    function fail(err: unknown): never {
      release?.();
      throw err;
    }
  }

  /**
   * Capture into `log` until `signal` aborts (resolves) or a non-retryable error (rejects).
   * Wakes on pg_notify from the triggers, and polls every `pollMs` as a fallback.
   */
  async run(log: Log, signal: AbortSignal): Promise<void> {
    this.#claim('run');
    try {
      await this.#runListening(log, signal);
    } finally {
      this.#busy = null;
    }
  }

  async #runListening(log: Log, signal: AbortSignal): Promise<void> {
    const db = await this.open();
    const unlisten = await db.listen(NOTIFY_CHANNEL, () => this.#wake.notify());
    try {
      await this.#runWithRetries(log, signal);
    } finally {
      await unlisten().catch(() => {});
    }
    this.#status.publish({ type: 'stopped' });
  }

  /**
   * Relay everything committed so far and resolve once it is durable in the log (a one-shot
   * `run`, for tests, tools and a flush before shutdown).
   */
  async drain(log: Log): Promise<RelayPass> {
    this.#claim('drain');
    try {
      return await this.#pass(await this.#relay(log));
    } finally {
      this.#busy = null;
    }
  }

  /** One relay at a time: two would race on the same partitions (their tails go stale). */
  #claim(what: 'run' | 'drain'): void {
    if (this.#busy !== null) {
      throw new UnbundledError(
        'CAPTURE_BUSY',
        `cannot ${what}: this PGlite source is already in ${this.#busy}(); one relay at a time (stop run() with its signal first)`,
      );
    }
    this.#busy = what;
  }

  /**
   * How far the capture is behind: change rows waiting in `unbundled_changes`, their image bytes
   * (`bytes`, as Postgres reports WAL bytes) and the age of the oldest (0 when caught up).
   */
  async lag(): Promise<PgliteLag> {
    const backlog = await changeBacklog(await this.open());
    return backlog.rows === 0 ? { rows: 0, bytes: 0, seconds: 0 } : backlog;
  }

  /** Release the data-dir lock, and close the database if the source opened it. */
  async close(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    if (db !== null && typeof this.#o.db === 'string') await db.close();
    this.#release?.();
    this.#release = null;
  }

  async #runWithRetries(log: Log, signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      try {
        const relay = await this.#relay(log);
        while (!signal.aborted) {
          const pass = await this.#pass(relay);
          attempt = 0;
          await this.#wake.wait(pass.clean ? this.#o.pollMs : Math.min(50, this.#o.pollMs), signal);
        }
      } catch (err) {
        const error = toError(err);
        if (signal.aborted) return;
        if (!isRetryable(error)) {
          this.#status.publish({ type: 'failed', error });
          throw error;
        }
        attempt++;
        const delayMs = Math.min(5_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
        this.#status.publish({ type: 'retrying', error, delayMs });
        await this.#wake.wait(delayMs, signal);
      }
    }
  }

  /** A fresh relay: re-reads the log tails, so it is also the recovery after an error. */
  async #relay(log: Log): Promise<ChangeRelay> {
    const db = await this.open();
    const writer = new ChangeWriter(log, transactionsTopic(this.#o.topicPrefix), {
      partitions: this.#o.partitions,
    });
    const relay = new ChangeRelay(db, writer, new ShapeCache(db, this.#o.topicPrefix), {
      dbName: this.#o.dbName,
      readRows: this.#o.readRows,
      flushRecords: this.#o.flushRecords,
      vacuumRows: this.#o.vacuumRows,
    });
    await relay.start();
    return relay;
  }

  async #pass(relay: ChangeRelay): Promise<RelayPass> {
    const pass = await relay.pass();
    this.#totals.transactions += pass.transactions;
    this.#totals.rows += pass.rows;
    this.#status.publish({
      type: 'streaming',
      ackedLsn: pass.relayedSeq.toString(),
      transactions: this.#totals.transactions,
      rows: this.#totals.rows,
    });
    return pass;
  }
}

/** Lag of a PGlite capture; `bytes`/`seconds` as in the Postgres `CaptureLag`, plus `rows`. */
export interface PgliteLag extends CaptureLag {
  readonly bytes: number;
  readonly rows: number;
}

/**
 * Create a PGlite change-capture source.
 *
 * @example
 * const db = await PGlite.create('./data/pglite');
 * const source = pgliteSource({ db, tables: ['orders'] });
 * const ac = new AbortController();
 * void source.run(log, ac.signal); // topics pg.public.orders and pg.transactions
 */
export function pgliteSource(options: PgliteSourceOptions): PgliteSource {
  return new PgliteSource(options);
}

/** A data directory on the local filesystem (not in memory, IndexedDB or OPFS). */
function isLocalDir(dir: string | undefined): dir is string {
  return dir !== undefined && dir !== '' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(dir);
}

function toError(err: unknown): UnbundledError {
  if (err instanceof UnbundledError) return err;
  return new UnbundledError(
    'CAPTURE_FAILED',
    `PGlite capture failed: ${String((err as Error)?.message ?? err)}`,
    {
      cause: err,
      retryable: isRetryable(err),
    },
  );
}
