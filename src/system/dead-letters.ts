import { utf8 } from '../core/index.ts';
import type { Log } from '../log/index.ts';

/** The topic every runtime dead letter goes to (one partition, ordered). */
export const DLQ_TOPIC = 'unbundled.dlq';

/** A record an operator or input could not process, with why and where. */
export interface DeadLetterEntry {
  readonly view: string;
  /** The operator or stage that failed: 'input', 'decode', or an operator label. */
  readonly stage: string;
  readonly error: string;
  /** Where the record came from (topic/partition → offset after it). */
  readonly position: unknown;
  /** The record or row, as far as it could be decoded. */
  readonly payload: unknown;
}

/** Writes dead letters durably; processing continues after them. */
export class DeadLetterWriter {
  readonly #log: Log;
  #count = 0;
  #ready: Promise<unknown> | null = null;

  constructor(log: Log) {
    this.#log = log;
  }

  /** Dead letters written by this process. */
  get count(): number {
    return this.#count;
  }

  async write(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    this.#ready ??= this.#log.ensureTopic(DLQ_TOPIC, { partitions: 1 });
    await this.#ready;
    const now = Date.now();
    await this.#log.append(
      DLQ_TOPIC,
      0,
      entries.map((e) => ({
        key: utf8(e.view),
        value: utf8(jsonSafe(e)),
        headers: { 'ub-view': e.view, 'ub-stage': e.stage, 'ub-content-type': 'json' },
        timestamp: now,
      })),
    );
    this.#count += entries.length;
  }
}

function jsonSafe(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'symbol') return v.description ?? v.toString();
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    return v;
  });
}
