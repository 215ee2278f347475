import {
  CHANGE_CONTENT_TYPE,
  type ChangeEvent,
  type ChangePosition,
  comparePositions,
  encodeChange,
  formatPosition,
  HEADERS,
  MARKER_SEQ,
  POSITION_HEADER,
  type TxBoundary,
} from '../../core/index.ts';
import { type Log, partitionForKey, type TopicConfig } from '../../log/index.ts';
import { type PartitionTail, readTail } from './partition-tails.ts';

interface PendingRecord {
  key: Uint8Array | null;
  value: Uint8Array;
  headers: Record<string, string>;
  txLsn: bigint;
}

interface OpenTx {
  readonly lsn: bigint;
  readonly txId: number | null;
  readonly ts: number;
  /** Row events per topic (deduped ones included: the transaction's true shape). */
  readonly topics: Record<string, number>;
  /** Partition keys ("topic/partition") this transaction touched. */
  readonly touched: Set<string>;
  rows: number;
}

/**
 * Turns a source transaction's events into log appends, exactly once (the "storer").
 *
 * - Every record carries its source position (`ub-pos`); a record whose position is at or below
 *   its partition's tail (read from the log at start) is not appended again.
 * - Per partition, the last record of a transaction carries `ub-tx: commit`; when a large
 *   transaction was flushed in chunks, a standalone commit marker closes it.
 * - After a transaction's rows are durable, one commit record goes to the transactions topic;
 *   `flush()` resolves with the end LSN that may then be acknowledged to Postgres.
 */
export class ChangeWriter {
  readonly #log: Log;
  readonly #txTopic: string;
  readonly #topicConfig: TopicConfig;
  readonly #tails = new Map<string, PartitionTail | null>();
  readonly #pending = new Map<string, PendingRecord[]>();
  readonly #partitions = new Map<string, number>();
  #pendingTx: { record: PendingRecord; endLsn: bigint }[] = [];
  #txTail: bigint | null = null;
  #open: OpenTx | null = null;
  #pendingCount = 0;
  #skipTx = false;

  constructor(log: Log, txTopic: string, topicConfig: TopicConfig) {
    this.#log = log;
    this.#txTopic = txTopic;
    this.#topicConfig = topicConfig;
  }

  /** Create the transactions topic if needed and read its tail. */
  async init(): Promise<void> {
    await this.#log.ensureTopic(this.#txTopic, { partitions: 1 });
    this.#txTail = (await readTail(this.#log, this.#txTopic, 0))?.pos.lsn ?? null;
  }

  /** Records waiting for `flush()`. */
  get pendingCount(): number {
    return this.#pendingCount;
  }

  /** Records or transaction commits wait for `flush()`. */
  get hasPending(): boolean {
    return this.#pendingCount > 0 || this.#pendingTx.length > 0;
  }

  /** Whether a non-final `flush()` would append anything (it holds back open-tx tails). */
  get hasFlushable(): boolean {
    if (this.#pendingTx.length > 0) return true;
    for (const list of this.#pending.values()) {
      const last = list[list.length - 1];
      if (list.length > 1 || (last && (!this.#open || last.txLsn !== this.#open.lsn))) return true;
    }
    return false;
  }

  /** Nothing pending and no transaction open. */
  get idle(): boolean {
    return this.#open === null && this.#pendingCount === 0 && this.#pendingTx.length === 0;
  }

  get inTransaction(): boolean {
    return this.#open !== null;
  }

  /** Commit LSN of the last transaction fully in the log (from the transactions topic). */
  get lastCommittedLsn(): bigint | null {
    return this.#txTail;
  }

  /** Create a table topic if needed and read its partitions' tails; call before `add`. */
  async prepareTopic(topic: string): Promise<void> {
    if (this.#partitions.has(topic)) return;
    const n = (await this.#log.ensureTopic(topic, this.#topicConfig)).config.partitions;
    for (let p = 0; p < n; p++) {
      this.#tails.set(`${topic}/${p}`, await readTail(this.#log, topic, p));
    }
    this.#partitions.set(topic, n);
  }

  /** Start a source transaction (commit LSN known up front, from pgoutput Begin). */
  begin(lsn: bigint, txId: number | null, ts: number): void {
    this.#open = { lsn, txId, ts, topics: {}, touched: new Set(), rows: 0 };
    this.#skipTx = this.#txTail !== null && lsn <= this.#txTail;
  }

  /** Add one event of the open transaction at position (seq, sub). */
  add(topic: string, key: Uint8Array | null, ev: ChangeEvent, seq: number, sub: number): void {
    this.#add(topic, key, () => encodeChange(ev), CHANGE_CONTENT_TYPE, ev.kind === 'row', seq, sub);
  }

  /** Add a record with its own value encoding (e.g. outbox events, content type 'json'). */
  addRaw(
    topic: string,
    key: Uint8Array | null,
    value: Uint8Array,
    contentType: string,
    seq: number,
    sub: number,
  ): void {
    this.#add(topic, key, () => value, contentType, true, seq, sub);
  }

  #add(
    topic: string,
    key: Uint8Array | null,
    value: () => Uint8Array,
    contentType: string,
    isEvent: boolean,
    seq: number,
    sub: number,
  ): void {
    const tx = this.#open!;
    if (isEvent) {
      tx.topics[topic] = (tx.topics[topic] ?? 0) + 1;
      tx.rows++;
    }
    if (this.#skipTx) return;
    const partitions = this.#partitions.get(topic);
    if (partitions === undefined) throw new Error(`ChangeWriter: prepareTopic(${topic}) first`);
    const partition = partitionForKey(key, partitions);
    const pk = `${topic}/${partition}`;
    tx.touched.add(pk);
    const pos = { lsn: tx.lsn, seq, sub };
    if (this.#isDuplicate(pk, pos)) return;
    const headers = positionHeaders(pos);
    headers[HEADERS.contentType] = contentType;
    this.#enqueue(pk, { key, value: value(), headers, txLsn: tx.lsn });
  }

  #isDuplicate(pk: string, pos: ChangePosition): boolean {
    const tail = this.#tails.get(pk);
    return tail != null && comparePositions(pos, tail.pos) <= 0;
  }

  #enqueue(pk: string, r: PendingRecord): void {
    let list = this.#pending.get(pk);
    if (!list) {
      list = [];
      this.#pending.set(pk, list);
    }
    list.push(r);
    this.#pendingCount++;
  }

  /** Close the open transaction: commit markers per partition, then its transactions-topic record. */
  commit(endLsn: bigint): void {
    const tx = this.#open!;
    this.#open = null;
    if (this.#skipTx) return;
    for (const pk of tx.touched) this.#closePartition(pk, tx);
    const boundary: TxBoundary = {
      kind: 'tx',
      phase: 'commit',
      txId: tx.txId,
      lsn: tx.lsn,
      endLsn,
      ts_ms: tx.ts,
      eventCount: tx.rows,
      topics: tx.topics,
    };
    const record: PendingRecord = {
      key: null,
      value: encodeChange(boundary),
      headers: positionHeaders({ lsn: tx.lsn, seq: MARKER_SEQ, sub: 2 }),
      txLsn: tx.lsn,
    };
    this.#pendingTx.push({ record, endLsn });
  }

  #closePartition(pk: string, tx: OpenTx): void {
    const list = this.#pending.get(pk);
    const last = list?.[list.length - 1];
    if (last && last.txLsn === tx.lsn) {
      last.headers[HEADERS.txMarker] = 'commit';
      return;
    }
    const tail = this.#tails.get(pk);
    if (tail && tail.pos.lsn === tx.lsn && tail.committed) return;
    const pos = { lsn: tx.lsn, seq: MARKER_SEQ, sub: 2 };
    if (this.#isDuplicate(pk, pos)) return;
    const marker: TxBoundary = {
      kind: 'tx',
      phase: 'commit',
      txId: tx.txId,
      lsn: tx.lsn,
      endLsn: tx.lsn,
      ts_ms: tx.ts,
      eventCount: tx.rows,
      topics: {},
    };
    const headers = positionHeaders(pos);
    headers[HEADERS.txMarker] = 'commit';
    this.#enqueue(pk, { key: null, value: encodeChange(marker), headers, txLsn: tx.lsn });
  }

  /**
   * Append everything pending (table partitions in parallel, then the transactions topic) and
   * resolve with the end LSN of the last transaction now durable (null if none completed).
   * What it appends is taken synchronously, so events may be added while it runs; callers run
   * one flush at a time (appends to a partition must stay in order).
   */
  async flush(final = false): Promise<bigint | null> {
    const appends: Promise<unknown>[] = [];
    const held = new Map<string, PendingRecord[]>();
    for (const [pk, list] of this.#pending) {
      // Mid-transaction (chunked large transaction): hold back each partition's last record so
      // the commit can still be marked on it, instead of needing a standalone marker.
      const last = list[list.length - 1];
      // On a final flush (stopping), everything goes: a restart dedupes the partial transaction.
      if (!final && this.#open && last && last.txLsn === this.#open.lsn)
        held.set(pk, [list.pop()!]);
      if (list.length === 0) continue;
      const at = pk.lastIndexOf('/');
      appends.push(this.#log.append(pk.slice(0, at), Number(pk.slice(at + 1)), list));
      const tail = list[list.length - 1]!;
      this.#tails.set(pk, {
        pos: parseHeaderPos(tail.headers),
        committed: tail.headers[HEADERS.txMarker] === 'commit',
      });
    }
    this.#pending.clear();
    for (const [pk, list] of held) this.#pending.set(pk, list);
    this.#pendingCount = held.size;
    // Taken before the first await: a transaction completed meanwhile belongs to the next flush.
    const txs = this.#pendingTx;
    this.#pendingTx = [];
    await Promise.all(appends);
    if (txs.length === 0) return null;
    await this.#log.append(
      this.#txTopic,
      0,
      txs.map((t) => t.record),
    );
    const last = txs[txs.length - 1]!;
    this.#txTail = last.record.txLsn;
    return last.endLsn;
  }
}

function positionHeaders(pos: ChangePosition): Record<string, string> {
  return {
    [POSITION_HEADER]: formatPosition(pos),
    [HEADERS.contentType]: CHANGE_CONTENT_TYPE,
  };
}

function parseHeaderPos(h: Record<string, string>): ChangePosition {
  const [lsn, seq, sub] = (h[POSITION_HEADER] ?? '0/0/0').split('/');
  return { lsn: BigInt(lsn ?? 0), seq: Number(seq), sub: Number(sub) };
}
