import type { PGlite } from '@electric-sql/pglite';
import type { ChangeWriter } from '../postgres/change-writer.ts';
import { type PgliteTx, rowChangeOf } from './change-events.ts';
import {
  type ChangeRow,
  deleteRelayed,
  deleteThroughTransaction,
  readChanges,
  vacuumChanges,
} from './change-rows.ts';
import { type ShapeCache, schemaChangeOf } from './schema-cache.ts';

/** Settings of a relay. */
export interface RelayOptions {
  /** `source.db` of the events. */
  readonly dbName: string;
  /** Change rows read per query. */
  readonly readRows: number;
  /** Flush (append + fsync) once this many records wait; big transactions flush in chunks. */
  readonly flushRecords: number;
  /** VACUUM the change table once this many relayed rows were deleted (PGlite has no autovacuum). */
  readonly vacuumRows: number;
}

/** Result of one relay pass. */
export interface RelayPass {
  /** Change rows read in this pass. */
  readonly rows: number;
  /** Transactions now complete in the log (their commit record is durable). */
  readonly transactions: number;
  /** False when the session was inside the application's open write transaction (retry later). */
  readonly clean: boolean;
  /** Seq of the last change that is durable in the log (0 if none yet). */
  readonly relayedSeq: bigint;
}

interface OpenTx extends PgliteTx {
  readonly txid: string;
  next: number;
  lastSeq: bigint;
}

/**
 * Moves committed change rows into the log, whole transactions in commit order, exactly once.
 *
 * Commit order: `seq` is drawn from a sequence when a change row is inserted, not at commit. In
 * Postgres with many sessions that order could differ from commit order, but PGlite has exactly
 * one session: transactions run one after another, never interleaved, so the rows of a
 * transaction are contiguous in seq and seq order is commit order. (The data-dir lock keeps a
 * second process, i.e. a second session, away.)
 *
 * Whole transactions: a row is visible only once its transaction committed, with all its rows;
 * rows of one transaction share `txid`, so a change of txid (or reaching the end of the table)
 * closes the transaction. The position of a transaction (its "LSN") is the seq of its first row.
 *
 * Exactly once: the `ChangeWriter` appends each record with its position (`ub-pos`) and skips
 * what the log already holds (partition tails, transactions-topic tail, read at start). Rows are
 * deleted from the change table only after `flush()` reports their transaction durable. A crash
 * between append and delete leaves rows that the next run reads again and the writer skips; the
 * start also deletes rows of transactions the transactions topic already holds.
 */
export class ChangeRelay {
  readonly #db: PGlite;
  readonly #writer: ChangeWriter;
  readonly #shapes: ShapeCache;
  readonly #o: RelayOptions;
  /** Shape id last announced per topic in this run. */
  readonly #announced = new Map<string, number>();
  #cursor = 0n;
  #open: OpenTx | null = null;
  #relayed = 0n;
  #committed = 0;
  /** Rows read (and so deleted once durable) since the last VACUUM. */
  #sinceVacuum = 0;

  constructor(db: PGlite, writer: ChangeWriter, shapes: ShapeCache, options: RelayOptions) {
    this.#db = db;
    this.#writer = writer;
    this.#shapes = shapes;
    this.#o = options;
  }

  /**
   * Read the log tails; finish the delete a crash may have interrupted; VACUUM once (the count
   * of rows deleted since the last VACUUM does not survive a restart).
   */
  async start(): Promise<void> {
    await this.#writer.init();
    const last = this.#writer.lastCommittedLsn;
    if (last !== null) await deleteThroughTransaction(this.#db, last);
    await vacuumChanges(this.#db);
  }

  /** Relay everything committed so far; resolves when it is durable in the log. */
  async pass(): Promise<RelayPass> {
    const committedBefore = this.#committed;
    let rows = 0;
    for (;;) {
      const batch = await readChanges(this.#db, this.#cursor, this.#o.readRows);
      if (!batch.clean) {
        await this.#flush();
        return this.#result(rows, committedBefore, false);
      }
      await this.#shapes.load(batch.rows.map((r) => r.schemaId));
      for (const row of batch.rows) await this.#add(row);
      rows += batch.rows.length;
      if (batch.rows.length < this.#o.readRows) break;
    }
    // Caught up: every visible row is committed, so the open transaction is complete.
    this.#commitOpen();
    await this.#flush();
    await this.#maybeVacuum(rows);
    return this.#result(rows, committedBefore, true);
  }

  #result(rows: number, committedBefore: number, clean: boolean): RelayPass {
    return {
      rows,
      transactions: this.#committed - committedBefore,
      clean,
      relayedSeq: this.#relayed,
    };
  }

  async #add(row: ChangeRow): Promise<void> {
    if (this.#open !== null && this.#open.txid !== row.txid) this.#commitOpen();
    const tx = this.#open ?? this.#begin(row);
    const shape = this.#shapes.get(row.schemaId);
    await this.#writer.prepareTopic(shape.topic);
    const seq = tx.next++;
    if (this.#announced.get(shape.topic) !== shape.id) {
      this.#writer.add(shape.topic, null, schemaChangeOf(shape, tx.db, tx.lsn, tx.ts), seq, 0);
      this.#announced.set(shape.topic, shape.id);
    }
    const { change, key } = rowChangeOf(row, shape, tx, seq);
    this.#writer.add(shape.topic, key, change, seq, 1);
    tx.lastSeq = row.seq;
    this.#cursor = row.seq;
    if (this.#writer.pendingCount >= this.#o.flushRecords) await this.#flush();
  }

  #begin(row: ChangeRow): OpenTx {
    const tx: OpenTx = {
      db: this.#o.dbName,
      lsn: row.seq,
      txId: Number(row.txid),
      ts: row.ts,
      txid: row.txid,
      next: 0,
      lastSeq: row.seq,
    };
    this.#writer.begin(tx.lsn, tx.txId, tx.ts);
    this.#open = tx;
    return tx;
  }

  #commitOpen(): void {
    if (this.#open === null) return;
    this.#writer.commit(this.#open.lastSeq);
    this.#open = null;
    this.#committed++;
  }

  async #maybeVacuum(rows: number): Promise<void> {
    this.#sinceVacuum += rows;
    if (this.#sinceVacuum < this.#o.vacuumRows) return;
    if (await vacuumChanges(this.#db)) this.#sinceVacuum = 0;
  }

  /** Append what is pending; then delete the change rows of transactions now durable. */
  async #flush(): Promise<void> {
    const durable = await this.#writer.flush();
    if (durable === null) return;
    this.#relayed = durable;
    await deleteRelayed(this.#db, durable);
  }
}
