import type { ColumnMeta, LogRecord, RowChange } from '../core/index.ts';
import {
  CHANGE_CONTENT_TYPE,
  decodeChange,
  HEADERS,
  isUnbundledError,
  UnbundledError,
} from '../core/index.ts';
import type { Log } from '../log/index.ts';

/** A row change with the columns of the schema version it follows. */
export interface DecodedChange {
  readonly change: RowChange;
  readonly columns: readonly ColumnMeta[];
}

/** One whole source transaction's changes in one partition, and the offset after it. */
export interface TxChunk {
  readonly topic: string;
  readonly partition: number;
  readonly changes: readonly DecodedChange[];
  /** Next offset to read after this chunk (what the view's position records). */
  readonly next: number;
  /** Records that could not be decoded, for the dead-letter topic. */
  readonly undecodable: readonly { record: LogRecord; error: string }[];
  /** The table schema in force after this chunk (checkpointed, so a resume can decode rows). */
  readonly columns: readonly ColumnMeta[];
}

/**
 * Reads one table-topic partition from `from` and yields whole transactions: records are
 * gathered until the one that carries `ub-tx: commit` (the last row of a transaction in this
 * partition, or a standalone commit marker), so a consumer never applies half a transaction.
 * Schema records update the column metadata used to decode the rows after them.
 */
export async function* readTransactions(
  log: Log,
  topic: string,
  partition: number,
  from: number,
  signal: AbortSignal,
  initialColumns: readonly ColumnMeta[] = [],
  follow = true,
): AsyncGenerator<TxChunk> {
  let columns = initialColumns;
  let changes: DecodedChange[] = [];
  let undecodable: { record: LogRecord; error: string }[] = [];
  for await (const batch of log.read(topic, partition, from, { signal, follow })) {
    for (const record of batch) {
      try {
        const ev = decodeRecord(record);
        if (ev?.kind === 'schema') columns = ev.columns;
        else if (ev?.kind === 'row') {
          if (columns.length === 0) throw unknownSchema(topic, partition, record.offset);
          changes.push({ change: ev, columns });
        }
      } catch (err) {
        if (isUnbundledError(err, 'SYSTEM_SCHEMA_UNKNOWN')) throw err;
        undecodable.push({ record, error: err instanceof Error ? err.message : String(err) });
      }
      if (record.headers[HEADERS.txMarker] === 'commit' || isLoose(record)) {
        yield { topic, partition, changes, next: record.offset + 1, undecodable, columns };
        changes = [];
        undecodable = [];
      }
    }
  }
}

function decodeRecord(record: LogRecord) {
  if (record.value === null) return null;
  const type = record.headers[HEADERS.contentType];
  if (type !== undefined && type !== CHANGE_CONTENT_TYPE) {
    throw new Error(`unsupported content type "${type}" (expected ${CHANGE_CONTENT_TYPE})`);
  }
  return decodeChange(record.value);
}

/** Records outside any transaction (no change content type) are chunks of their own. */
function isLoose(record: LogRecord): boolean {
  return record.headers[HEADERS.contentType] !== CHANGE_CONTENT_TYPE;
}

/** A row before any schema record: reading started past the schema and none was handed in. */
function unknownSchema(topic: string, partition: number, offset: number): UnbundledError {
  return new UnbundledError(
    'SYSTEM_SCHEMA_UNKNOWN',
    `${topic}/${partition} offset ${offset}: a row arrived before its table's schema record; ` +
      'the reader started mid-topic without the schema in force there (a checkpoint without ' +
      'schemas?). Delete the view checkpoint to rebuild it from the start of the log.',
  );
}
