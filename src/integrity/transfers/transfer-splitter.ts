import { fromUtf8, HEADERS, type LogRecord, type RecordInput, utf8 } from '../../core/index.ts';
import { type Log, partitionForKey } from '../../log/index.ts';
import { INTEGRITY_HEADERS } from '../events/integrity-headers.ts';
import {
  type LedgerEntry,
  SOURCE_OFFSET_HEADER,
  splitTransfer,
  type TransferRequest,
  type TransfersDef,
} from './transfer-def.ts';

/**
 * Splits the requests of one request partition into debit and credit entries on the ledger
 * partitions of their accounts, then commits its offset. After a crash between the two it
 * emits the same entries again; each carries (request id, leg), so every view drops the repeat
 * (`RequestDeduper`). No step spans two partitions atomically, and none needs to.
 */
export class TransferSplitter {
  readonly #log: Log;
  readonly #def: TransfersDef;
  readonly #partition: number;

  constructor(log: Log, def: TransfersDef, partition: number) {
    this.#log = log;
    this.#def = def;
    this.#partition = partition;
  }

  /** Split until `signal` aborts. The topics must exist (`ensureTransferTopics`). */
  async run(signal: AbortSignal): Promise<void> {
    const topic = this.#def.requests.name;
    const from = (await this.#log.fetchOffsets(this.#def.group, topic))[this.#partition] ?? 0;
    for await (const batch of this.#log.read(topic, this.#partition, from, { signal })) {
      if (signal.aborted) return;
      await this.#split(batch);
      const next = (batch.at(-1)?.offset ?? -1) + 1;
      await this.#log.commitOffsets(this.#def.group, topic, { [this.#partition]: next });
    }
  }

  async #split(batch: readonly LogRecord[]): Promise<void> {
    const byPartition = new Map<number, RecordInput[]>();
    for (const r of batch) {
      if (r.value === null) continue;
      const source = `${r.partition}:${r.offset}`;
      for (const entry of splitTransfer(JSON.parse(fromUtf8(r.value)) as TransferRequest)) {
        const p = partitionForKey(utf8(entry.account), this.#def.ledgerPartitions);
        const list = byPartition.get(p) ?? [];
        list.push(ledgerRecord(entry, source));
        byPartition.set(p, list);
      }
    }
    for (const [p, records] of byPartition)
      await this.#log.append(this.#def.ledgerTopic, p, records);
  }
}

function ledgerRecord(e: LedgerEntry, source: string): RecordInput {
  return {
    key: utf8(e.account),
    value: utf8(JSON.stringify(e)),
    headers: {
      [HEADERS.requestId]: e.requestId,
      [INTEGRITY_HEADERS.requestSeq]: e.leg,
      [HEADERS.contentType]: 'json',
      [SOURCE_OFFSET_HEADER]: source,
    },
  };
}

/** Create the request and ledger topics if missing. */
export async function ensureTransferTopics(log: Log, def: TransfersDef): Promise<void> {
  await log.ensureTopic(def.requests.name, { partitions: def.requests.partitions });
  await log.ensureTopic(def.ledgerTopic, { partitions: def.ledgerPartitions });
}

/** Run a splitter per request partition until `signal` aborts. */
export async function runTransferSplitters(log: Log, def: TransfersDef, signal: AbortSignal) {
  await ensureTransferTopics(log, def);
  const all = Array.from({ length: def.requests.partitions }, (_, p) =>
    new TransferSplitter(log, def, p).run(signal),
  );
  await Promise.all(all);
}
