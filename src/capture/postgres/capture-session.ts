import pg from 'pg';
import {
  encodeRowKey,
  formatLsn,
  parseLsn,
  transactionsTopic,
  UnbundledError,
  utf8,
} from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import {
  encodeOutboxValue,
  OUTBOX_MESSAGE_PREFIX,
  OUTBOX_TABLE,
  type OutboxEvent,
  outboxFromMessage,
  outboxFromRow,
  outboxTopic,
} from '../outbox/index.ts';
import { CaptureStateStore } from './capture-state.ts';
import type { StatusChannel } from './capture-status.ts';
import { ChangeWriter } from './change-writer.ts';
import { classifyPgError } from './pg-errors.ts';
import type { PgOutputMessage } from './pgoutput-messages.ts';
import { preflight } from './preflight.ts';
import { ensurePublication } from './publication.ts';
import { RelationRegistry } from './relation-registry.ts';
import { type ReplicationFrame, ReplicationStream } from './replication-stream.ts';
import { rowChangeOf, type TxContext, truncateOf } from './row-events.ts';
import {
  checkSlotUsable,
  createSlot,
  dropSlot,
  findSlot,
  identifySystem,
  type SlotInfo,
} from './slot.ts';
import { takeSnapshot } from './snapshot.ts';
import type { ResolvedSourceOptions } from './source-options.ts';
import { parseTableRef } from './table-ref.ts';

export const HEARTBEAT_PREFIX = 'unbundled.heartbeat';

/**
 * One connection lifetime of the capture: checks, slot + snapshot, then the streaming loop.
 * Acknowledges an LSN only after `ChangeWriter.flush()` (log append, fsync) has resolved.
 */
export class CaptureSession {
  readonly #o: ResolvedSourceOptions;
  readonly #log: Log;
  readonly #status: StatusChannel;
  readonly #sql: pg.Client;
  readonly #repl: pg.Client;
  #stream: ReplicationStream | null = null;
  #writer!: ChangeWriter;
  #registry!: RelationRegistry;
  #state!: CaptureStateStore;
  #db = '';
  #acked = 0n;
  #idleLsn = 0n;
  #inflight: Promise<void> | null = null;
  #flushError: unknown = null;
  #tx: (TxContext & { seq: number }) | null = null;
  #txCount = 0;
  #rowCount = 0;
  #timers: NodeJS.Timeout[] = [];

  constructor(o: ResolvedSourceOptions, log: Log, status: StatusChannel) {
    this.#o = o;
    this.#log = log;
    this.#status = status;
    this.#sql = new pg.Client(o.connection);
    this.#repl = new pg.Client({
      connectionString: o.connection,
      replication: 'database',
    } as pg.ClientConfig);
  }

  /** LSN acknowledged to Postgres so far. */
  get ackedLsn(): bigint {
    return this.#acked;
  }

  async run(signal: AbortSignal): Promise<void> {
    this.#sql.on('error', () => {});
    this.#repl.on('error', () => {});
    try {
      await this.#sql.connect();
      await this.#setup();
      await this.#stream_(signal);
    } catch (err) {
      throw classifyPgError(err, 'postgres capture');
    } finally {
      for (const t of this.#timers) clearInterval(t);
      await this.#stream?.close();
      await this.#repl.end().catch(() => {});
      await this.#sql.end().catch(() => {});
    }
  }

  async #setup(): Promise<void> {
    const o = this.#o;
    const tables = o.tables === 'all' ? 'all' : o.tables.map(parseTableRef);
    await preflight(this.#sql, tables === 'all' ? [] : tables);
    await ensurePublication(this.#sql, o.publication, tables);
    await this.#repl.connect();
    this.#db = (await this.#sql.query('SELECT current_database() AS db')).rows[0].db;
    const systemId = await identifySystem(this.#repl);
    this.#state = new CaptureStateStore(this.#log, `${o.topicPrefix}.capture`);
    const state = await this.#state.load();
    if (state.systemId !== null && state.systemId !== systemId)
      throw databaseReplaced(state.systemId, systemId);
    if (state.systemId === null) await this.#state.appendMeta({ type: 'system', systemId });
    this.#writer = new ChangeWriter(this.#log, transactionsTopic(o.topicPrefix), {
      partitions: o.partitions,
    });
    await this.#writer.init();
    this.#registry = new RelationRegistry(this.#sql, this.#db, o.topicPrefix, state.schemas);
    let slot = await findSlot(this.#sql, o.slot);
    if (slot) checkSlotUsable(slot, this.#db);
    // Our own slot whose snapshot never finished (a crash while creating the slot or during the
    // snapshot, possibly after part of it was appended): start over with a fresh slot and a full
    // snapshot. Consumers see the partial snapshot's rows again as upserts of the same values.
    const ownUnfinished = state.slotCreated === o.slot && !state.snapshotDone;
    if (slot && ownUnfinished) {
      await this.#waitSlotFree(slot);
      await dropSlot(this.#sql, o.slot);
      slot = null;
    }
    if (slot === null) {
      const captured = state.snapshotDone || this.#writer.lastCommittedLsn !== null;
      if (captured && !ownUnfinished) throw slotDropped(o.slot);
      await this.#createSlotAndSnapshot(ownUnfinished);
    } else {
      await this.#waitSlotFree(slot);
      this.#acked = slot.confirmedFlushLsn ? parseLsn(slot.confirmedFlushLsn) : 0n;
    }
  }

  /** `redo`: an unfinished snapshot of ours may be in the log; the new one must replace it. */
  async #createSlotAndSnapshot(redo: boolean): Promise<void> {
    const o = this.#o;
    // Claim the slot name durably BEFORE creating it: a crash between the two must make the next
    // start redo the snapshot, not mistake our half-made slot for one whose data is captured.
    await this.#state.appendMeta({ type: 'slot-created', slot: o.slot });
    const created = await createSlot(this.#repl, o.slot);
    const lsn = parseLsn(created.consistentPoint);
    if (o.snapshot) {
      await takeSnapshot({
        url: o.connection,
        snapshotName: created.snapshotName,
        publication: o.publication,
        tx: { db: this.#db, lsn, txId: null, ts: Date.now(), snapshot: true },
        writer: this.#writer,
        registry: this.#registry,
        state: this.#state,
        chunkRecords: o.batchRecords,
        reset: redo,
        onProgress: (p) => {
          o.onSnapshotProgress(p);
          this.#status.publish({ type: 'snapshot', progress: p });
        },
      });
    }
    await this.#state.appendMeta({ type: 'snapshot-done', lsn: created.consistentPoint });
    this.#acked = lsn;
  }

  async #waitSlotFree(slot: SlotInfo): Promise<void> {
    const deadline = Date.now() + this.#o.slotBusyWaitMs;
    let s: SlotInfo | null = slot;
    while (s?.active) {
      if (Date.now() > deadline) {
        throw new UnbundledError(
          'CAPTURE_SLOT_IN_USE',
          `replication slot "${s.name}" is in use by PID ${s.activePid}; another consumer is reading it. Stop it (SELECT pg_terminate_backend(${s.activePid})) or give this source its own slot`,
          { retryable: true },
        );
      }
      await new Promise((r) => setTimeout(r, 200));
      s = await findSlot(this.#sql, slot.name);
    }
  }

  async #stream_(signal: AbortSignal): Promise<void> {
    const o = this.#o;
    const stream = ReplicationStream.start(this.#repl, {
      slot: o.slot,
      publication: o.publication,
      startLsn: '0/0',
      flushedLsn: () => this.#acked,
    });
    this.#stream = stream;
    this.#timers.push(setInterval(() => stream.sendStatus(this.#acked), o.statusIntervalMs));
    this.#timers.push(setInterval(() => this.#heartbeat(), o.heartbeatMs));
    this.#publishStreaming();
    const aborted = new Promise<ReplicationFrame[]>((resolve) => {
      if (signal.aborted) resolve([]);
      signal.addEventListener('abort', () => resolve([]), { once: true });
    });
    while (!signal.aborted) {
      this.#throwIfFlushFailed();
      const frames = await Promise.race([stream.next(o.batchRecords), aborted]);
      for (const f of frames) {
        const p = this.#onFrame(f);
        if (p) await p;
        if (this.#writer.pendingCount >= o.batchRecords) this.#kick();
        // Bounded memory: while a flush is in flight, at most 4 batches wait behind it.
        if (this.#writer.pendingCount >= o.batchRecords * 4) await this.#inflight;
      }
      if (stream.idle) this.#kick();
    }
    await this.#drain();
  }

  /**
   * Group commit, pipelined: one flush (append + fsync) in flight while decoding continues;
   * when it completes, everything that accumulated meanwhile goes in the next one. The slot is
   * acknowledged from the flush's completion only.
   */
  #kick(final = false): void {
    if (this.#inflight !== null || this.#flushError !== null) return;
    if (!(final ? this.#writer.hasPending : this.#writer.hasFlushable)) return;
    this.#inflight = this.#writer
      .flush(final)
      .then(
        (end) => {
          if (end !== null) this.#ack(end);
          if (this.#tx === null && this.#writer.idle && this.#idleLsn > 0n)
            this.#ack(this.#idleLsn);
        },
        (err) => {
          this.#flushError = err;
        },
      )
      .finally(() => {
        this.#inflight = null;
        this.#kick(final);
      });
  }

  async #drain(): Promise<void> {
    while (this.#inflight !== null || (this.#writer.hasPending && this.#flushError === null)) {
      this.#kick(true);
      await this.#inflight;
    }
    this.#throwIfFlushFailed();
  }

  #throwIfFlushFailed(): void {
    if (this.#flushError !== null) throw this.#flushError;
  }

  #ack(lsn: bigint): void {
    if (lsn <= this.#acked) return;
    this.#acked = lsn;
    this.#stream?.sendStatus(lsn);
    this.#publishStreaming();
  }

  #publishStreaming(): void {
    this.#status.publish({
      type: 'streaming',
      ackedLsn: formatLsn(this.#acked),
      transactions: this.#txCount,
      rows: this.#rowCount,
    });
  }

  #heartbeat(): void {
    this.#sql
      .query('SELECT pg_logical_emit_message(false, $1, $2)', [
        HEARTBEAT_PREFIX,
        String(Date.now()),
      ])
      .catch(() => {});
  }

  #onFrame(f: ReplicationFrame): Promise<void> | undefined {
    if (f.kind === 'keepalive') {
      this.#ackIfIdle(f.walEnd);
      return undefined;
    }
    return this.#onMessage(f.message);
  }

  /**
   * A keepalive or non-transactional message outside a transaction: once everything before it
   * is durable (at the next flush), the slot may advance to its LSN even if no captured table
   * changed, so an idle source does not pin WAL.
   */
  #ackIfIdle(lsn: bigint): void {
    if (this.#tx !== null) return;
    if (lsn > this.#idleLsn) this.#idleLsn = lsn;
    if (this.#writer.idle && this.#inflight === null) this.#ack(lsn);
  }

  #onMessage(m: PgOutputMessage): Promise<void> | undefined {
    switch (m.tag) {
      case 'begin':
        this.#tx = {
          db: this.#db,
          lsn: m.finalLsn,
          txId: m.xid,
          ts: m.ts,
          snapshot: false,
          seq: 0,
        };
        this.#writer.begin(m.finalLsn, m.xid, m.ts);
        return undefined;
      case 'commit':
        this.#writer.commit(m.endLsn);
        this.#tx = null;
        this.#txCount++;
        return undefined;
      case 'relation':
        return this.#onRelation(m);
      case 'insert':
      case 'update':
      case 'delete':
        return this.#onRow(m);
      case 'truncate':
        for (const id of m.relationIds) this.#onTruncate(id);
        return undefined;
      case 'message':
        if (!m.transactional) this.#ackIfIdle(m.lsn);
        else if (m.prefix === OUTBOX_MESSAGE_PREFIX && this.#tx) {
          return this.#routeOutbox(() => outboxFromMessage(m.content), m.content);
        }
        return undefined;
      default:
        return undefined;
    }
  }

  async #onRelation(m: Extract<PgOutputMessage, { tag: 'relation' }>): Promise<void> {
    const { info, isNew } = await this.#registry.onRelation(
      m,
      this.#tx?.lsn ?? 0n,
      this.#tx?.ts ?? Date.now(),
    );
    if (isNew) await this.#state.appendSchema(isNew);
    await this.#writer.prepareTopic(info.topic);
  }

  #relation(id: number) {
    const rel = this.#registry.get(id);
    if (!rel) {
      throw new UnbundledError(
        'CAPTURE_PROTOCOL',
        `row for unknown relation ${id} (no Relation message before it)`,
      );
    }
    const tx = this.#tx!;
    if (!rel.announced) {
      this.#writer.add(rel.topic, null, this.#registry.schemaOf(rel), tx.seq, 0);
      rel.announced = true;
    }
    return rel;
  }

  #onRow(
    m: Extract<PgOutputMessage, { tag: 'insert' | 'update' | 'delete' }>,
  ): Promise<void> | undefined {
    const outbox = this.#outboxTable;
    const r = this.#registry.get(m.relationId);
    if (r && r.schema === outbox.schema && r.table === outbox.table) {
      // Outbox rows are routed by aggregate type; their deletes (clean-up) are not events.
      if (m.tag !== 'insert') return undefined;
      const row = rowChangeOf(m, r, this.#tx!, this.#tx!.seq).after!;
      return this.#routeOutbox(() => outboxFromRow(row), JSON.stringify(row));
    }
    this.#onRowChange(m);
    return undefined;
  }

  get #outboxTable(): { schema: string; table: string } {
    return parseTableRef(this.#o.outbox.table ?? OUTBOX_TABLE);
  }

  /** Route one outbox event (or, when malformed, its raw content to `<prefix>.dead-letter`). */
  async #routeOutbox(parse: () => OutboxEvent, raw: Uint8Array | string): Promise<void> {
    const prefix = this.#o.outbox.topicPrefix ?? 'outbox';
    const tx = this.#tx!;
    let topic: string;
    let key: Uint8Array | null;
    let value: Uint8Array;
    try {
      const ev = parse();
      topic = outboxTopic(ev.aggregateType, prefix);
      key = utf8(ev.aggregateId);
      value = encodeOutboxValue(ev);
    } catch (err) {
      topic = `${prefix}.dead-letter`;
      key = null;
      const content = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
      value = utf8(
        JSON.stringify({
          error: String((err as Error).message),
          content,
          lsn: String(tx.lsn),
          seq: tx.seq,
        }),
      );
    }
    await this.#writer.prepareTopic(topic);
    this.#writer.addRaw(topic, key, value, 'json', tx.seq, 1);
    tx.seq++;
  }

  #onRowChange(m: Extract<PgOutputMessage, { tag: 'insert' | 'update' | 'delete' }>): void {
    const rel = this.#relation(m.relationId);
    const tx = this.#tx!;
    const ev = rowChangeOf(m, rel, tx, tx.seq);
    this.#writer.add(rel.topic, encodeRowKey(rel.columns, ev.after ?? ev.before!), ev, tx.seq, 1);
    tx.seq++;
    this.#rowCount++;
  }

  #onTruncate(id: number): void {
    const rel = this.#relation(id);
    const tx = this.#tx!;
    this.#writer.add(rel.topic, null, truncateOf(rel, tx, tx.seq), tx.seq, 1);
    tx.seq++;
  }
}

function slotDropped(slot: string): UnbundledError {
  return new UnbundledError(
    'CAPTURE_SLOT_DROPPED',
    `replication slot "${slot}" is gone but the log already holds captured changes from it: it was dropped (or invalidated and removed) behind the capture's back, so changes made since are lost. Re-snapshot into fresh topics (new topic prefix) or restore the slot's source`,
  );
}

function databaseReplaced(expected: string, actual: string): UnbundledError {
  return new UnbundledError(
    'CAPTURE_DATABASE_REPLACED',
    `the Postgres cluster was replaced: system identifier ${actual}, but the log was captured from ${expected} (restored backup or new cluster?). Positions no longer match; capture into fresh topics (new topic prefix)`,
  );
}
