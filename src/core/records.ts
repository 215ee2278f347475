/** Header values are strings; well-known names are in `HEADERS`. */
export type Headers = Readonly<Record<string, string>>;

/** Well-known header names carried on records. */
export const HEADERS = {
  /** The request id / idempotency key of the write that produced this record. */
  requestId: 'ub-request-id',
  /** Schema version of the value. */
  schemaVersion: 'ub-schema-version',
  /** Source position, e.g. a Postgres LSN. */
  sourceLsn: 'ub-lsn',
  /** Source transaction id. */
  sourceTxId: 'ub-txid',
  /** Event time in epoch milliseconds (decimal string). */
  eventTime: 'ub-event-time',
  /** Transaction boundary marker: 'begin' | 'commit' (see capture). */
  txMarker: 'ub-tx',
  /** Value encoding of this record, e.g. 'ub-change/1', 'json'. */
  contentType: 'ub-content-type',
} as const;

/** A record as a producer hands it to the log. `value: null` is a tombstone. */
export interface RecordInput {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers?: Headers;
  /** Epoch milliseconds; the log stamps the append time when absent. */
  readonly timestamp?: number;
}

/** A record as it is stored in and read back from the log. */
export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  /** Offsets are dense per partition in the embedded log; a backend may leave gaps (e.g. after compaction). */
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: Headers;
  readonly timestamp: number;
}
