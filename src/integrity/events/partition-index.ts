import { fromUtf8, HEADERS, type LogRecord } from '../../core/index.ts';
import { INTEGRITY_HEADERS } from './integrity-headers.ts';

/** Where a request's records landed in one partition. */
export interface AppendedRequest {
  readonly fingerprint: string;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

/**
 * What one appender knows about one partition: the version of every entity key (event count)
 * and the request ids of the last `window` requests, rebuilt by scanning the partition on open.
 */
export class PartitionIndex {
  readonly #versions = new Map<string, number>();
  readonly #requests = new Map<string, AppendedRequest>();
  readonly #window: number;

  constructor(window: number) {
    this.#window = window;
  }

  version(key: string): number {
    return this.#versions.get(key) ?? 0;
  }

  request(requestId: string): AppendedRequest | undefined {
    return this.#requests.get(requestId);
  }

  /** Account for a record read back from the log or just appended. */
  observe(record: Pick<LogRecord, 'key' | 'offset' | 'headers'>): void {
    if (record.key !== null) {
      const key = fromUtf8(record.key);
      this.#versions.set(key, (this.#versions.get(key) ?? 0) + 1);
    }
    const id = record.headers[HEADERS.requestId];
    if (id === undefined) return;
    const seen = this.#requests.get(id);
    if (seen !== undefined) {
      if (record.offset === seen.lastOffset + 1)
        this.#remember(id, { ...seen, lastOffset: record.offset });
      return;
    }
    const fingerprint = record.headers[INTEGRITY_HEADERS.requestFingerprint] ?? '';
    this.#remember(id, { fingerprint, baseOffset: record.offset, lastOffset: record.offset });
  }

  #remember(id: string, r: AppendedRequest): void {
    this.#requests.set(id, r);
    if (this.#requests.size > this.#window) {
      const oldest = this.#requests.keys().next().value;
      if (oldest !== undefined) this.#requests.delete(oldest);
    }
  }
}
