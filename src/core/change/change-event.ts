/**
 * The change-event model of unbundled CDC: a Debezium-compatible envelope for row changes,
 * plus schema-change and transaction-boundary events, all carried in the log as the compact
 * binary encoding of `change-codec.ts` (content type `ub-change/1`).
 */

/** Marker for a TOASTed value Postgres did not send because it did not change. Never NULL. */
export const UNCHANGED_TOAST: unique symbol = Symbol.for('unbundled.unchanged-toast');
export type UnchangedToast = typeof UNCHANGED_TOAST;

/** A column value in Postgres TEXT output format; `null` is SQL NULL. */
export type TextValue = string | null | UnchangedToast;

/** A row as column name → Postgres text value. Decode with `decodeRow` and the relation schema. */
export type TextRow = Readonly<Record<string, TextValue>>;

/** Debezium operations: create, update, delete, read (snapshot), truncate. */
export type ChangeOp = 'c' | 'u' | 'd' | 'r' | 't';

/** Where a change came from. `lsn` is the COMMIT LSN of its source transaction. */
export interface SourceInfo {
  readonly db: string;
  readonly schema: string;
  readonly table: string;
  /** Commit LSN of the source transaction (for snapshot rows: the slot's consistent point). */
  readonly lsn: bigint;
  /** Source transaction id (xid); null for snapshot rows. */
  readonly txId: number | null;
  /** Source commit time, epoch ms. */
  readonly ts_ms: number;
  readonly snapshot: boolean;
  /** 0-based position of this event within its source transaction (dedupe key with `lsn`). */
  readonly seq: number;
  /** Version of the relation schema the row values follow. */
  readonly schemaVersion: number;
}

/** A row change: the Debezium envelope. */
export interface RowChange {
  readonly kind: 'row';
  readonly op: ChangeOp;
  /** Old row: for 'd' and for 'u' with REPLICA IDENTITY FULL (key columns only with DEFAULT identity when the key changed); null otherwise. */
  readonly before: TextRow | null;
  readonly after: TextRow | null;
  readonly source: SourceInfo;
  /** Time the capture processed the event, epoch ms. */
  readonly ts_ms: number;
}

/** Metadata of one column of a captured relation. */
export interface ColumnMeta {
  readonly name: string;
  readonly typeOid: number;
  /** pg_type.typname, e.g. 'int8', '_text' (array of text), 'mood' (an enum). */
  readonly typeName: string;
  readonly typmod: number;
  /** Part of the replica identity / primary key. */
  readonly isKey: boolean;
  /** pg_type.typtype: b base, c composite, d domain, e enum, r range, m multirange, p pseudo. */
  readonly typeKind?: string;
  /** For domains: the base type's typname; arrays: element typname; ranges: subtype typname. */
  readonly baseTypeName?: string;
}

/** A relation's schema at a version. Emitted into the table topic before rows that follow it. */
export interface SchemaChange {
  readonly kind: 'schema';
  readonly db: string;
  readonly schema: string;
  readonly table: string;
  readonly relationId: number;
  /** Monotonic per table: increases whenever columns, types or keys change. */
  readonly version: number;
  /** 'd' default (primary key), 'n' nothing, 'f' full, 'i' index. */
  readonly replicaIdentity: string;
  readonly columns: readonly ColumnMeta[];
  /** Commit LSN of the transaction whose changes first use this version. */
  readonly lsn: bigint;
  readonly ts_ms: number;
}

/**
 * A transaction boundary. The capture writes one 'commit' per source transaction to the
 * transactions topic, after all of its rows are in their table topics; per table topic, the
 * last record of a transaction carries header `ub-tx: commit` (or is a standalone commit marker
 * when a large transaction was appended in chunks).
 */
export interface TxBoundary {
  readonly kind: 'tx';
  readonly phase: 'begin' | 'commit';
  readonly txId: number | null;
  /** Commit LSN. */
  readonly lsn: bigint;
  /** End LSN of the commit record (what the slot is acknowledged up to). */
  readonly endLsn: bigint;
  readonly ts_ms: number;
  /** Number of row events in the transaction, total. */
  readonly eventCount: number;
  /** Row events per topic. */
  readonly topics: Readonly<Record<string, number>>;
}

/** Everything the capture writes into the log. */
export type ChangeEvent = RowChange | SchemaChange | TxBoundary;

/** Content type header value of values encoded with `encodeChange`. */
export const CHANGE_CONTENT_TYPE = 'ub-change/1';
