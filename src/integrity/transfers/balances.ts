import { fromUtf8, type LogRecord } from '../../core/index.ts';
import { RequestDeduper } from '../dedupe/request-deduper.ts';
import type { LedgerEntry } from './transfer-def.ts';

/**
 * A balance view over ledger entries, deduplicated by (request id, leg): applying the same
 * entry twice (a re-emitted leg) changes nothing.
 */
export class Balances {
  readonly #balances = new Map<string, number>();
  readonly #dedupe: RequestDeduper;

  constructor(options: { window?: number } = {}) {
    this.#dedupe = new RequestDeduper(options);
  }

  apply(record: Pick<LogRecord, 'headers' | 'value'>): void {
    if (record.value === null || this.#dedupe.isDuplicate(record)) return;
    const e = JSON.parse(fromUtf8(record.value)) as LedgerEntry;
    this.#balances.set(e.account, (this.#balances.get(e.account) ?? 0) + e.delta);
  }

  balance(account: string): number {
    return this.#balances.get(account) ?? 0;
  }

  total(): number {
    let sum = 0;
    for (const v of this.#balances.values()) sum += v;
    return sum;
  }

  snapshot(): Map<string, number> {
    return new Map(this.#balances);
  }
}
