import { UnbundledError } from '../errors.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import {
  type ChangeEvent,
  type ChangeOp,
  type ColumnMeta,
  type RowChange,
  type SchemaChange,
  type TextRow,
  type TextValue,
  type TxBoundary,
  UNCHANGED_TOAST,
} from './change-event.ts';

/*
 * Binary layout (all integers LEB128 varints, strings length-prefixed UTF-8):
 *   u8 format (=1), u8 kind (1 row, 2 schema, 3 tx), then the kind's body.
 *   row:    u8 op, u8 flags(snapshot|before|after|txId), lsn, [txId], s ts_source, s ts,
 *           seq, schemaVersion, db, schema, table, [before], [after]
 *           row = n, n × (name, u8 tag(0 null, 1 unchanged-toast, 2 text), [text])
 *   schema: db, schema, table, relationId, version, u8 replicaIdentity, lsn, s ts,
 *           n, n × (name, typeOid, typeName, s typmod, u8 flags, [typeKind], [baseTypeName])
 *   tx:     u8 phase, u8 hasTxId, [txId], lsn, endLsn, s ts, eventCount, n × (topic, count)
 */
const FORMAT = 1;
const KIND = { row: 1, schema: 2, tx: 3 } as const;
const OPS: readonly ChangeOp[] = ['c', 'u', 'd', 'r', 't'];
/** Encoding is synchronous, so one growable buffer serves every call (no per-event allocation). */
const shared = new ByteWriter(4096);

/** Encode a change event compactly for the log (content type `ub-change/1`). */
export function encodeChange(ev: ChangeEvent): Uint8Array {
  const w = shared;
  w.reset();
  w.byte(FORMAT);
  w.byte(KIND[ev.kind]);
  if (ev.kind === 'row') writeRowChange(w, ev);
  else if (ev.kind === 'schema') writeSchema(w, ev);
  else writeTx(w, ev);
  return w.finish();
}

/** Decode what `encodeChange` produced. Throws UnbundledError CHANGE_DECODE on bad input. */
export function decodeChange(bytes: Uint8Array): ChangeEvent {
  const r = new ByteReader(bytes);
  const format = r.byte();
  if (format !== FORMAT) {
    throw new UnbundledError(
      'CHANGE_DECODE',
      `change event format ${format} is unknown (this build reads ${FORMAT}); upgrade unbundled`,
    );
  }
  const kind = r.byte();
  if (kind === KIND.row) return readRowChange(r);
  if (kind === KIND.schema) return readSchema(r);
  if (kind === KIND.tx) return readTx(r);
  throw new UnbundledError('CHANGE_DECODE', `change event kind ${kind} is unknown`);
}

function writeRowChange(w: ByteWriter, ev: RowChange): void {
  const s = ev.source;
  w.byte(OPS.indexOf(ev.op));
  const flags =
    (s.snapshot ? 1 : 0) | (ev.before ? 2 : 0) | (ev.after ? 4 : 0) | (s.txId !== null ? 8 : 0);
  w.byte(flags);
  w.ubigvarint(s.lsn);
  if (s.txId !== null) w.uvarint(s.txId);
  w.svarint(s.ts_ms);
  w.svarint(ev.ts_ms);
  w.uvarint(s.seq);
  w.uvarint(s.schemaVersion);
  w.string(s.db);
  w.string(s.schema);
  w.string(s.table);
  if (ev.before) writeRow(w, ev.before);
  if (ev.after) writeRow(w, ev.after);
}

function readRowChange(r: ByteReader): RowChange {
  const op = OPS[r.byte()];
  if (op === undefined) throw new UnbundledError('CHANGE_DECODE', 'change event op is unknown');
  const flags = r.byte();
  const lsn = r.ubigvarint();
  const txId = flags & 8 ? r.uvarint() : null;
  const sourceTs = r.svarint();
  const ts = r.svarint();
  const seq = r.uvarint();
  const schemaVersion = r.uvarint();
  const db = r.string();
  const schema = r.string();
  const table = r.string();
  const before = flags & 2 ? readRow(r) : null;
  const after = flags & 4 ? readRow(r) : null;
  const source = {
    db,
    schema,
    table,
    lsn,
    txId,
    ts_ms: sourceTs,
    snapshot: (flags & 1) === 1,
    seq,
    schemaVersion,
  };
  return { kind: 'row', op, before, after, source, ts_ms: ts };
}

function writeRow(w: ByteWriter, row: TextRow): void {
  const names = Object.keys(row);
  w.uvarint(names.length);
  for (const name of names) {
    w.string(name);
    const v = row[name];
    if (v === null || v === undefined) w.byte(0);
    else if (v === UNCHANGED_TOAST) w.byte(1);
    else {
      w.byte(2);
      w.string(v);
    }
  }
}

/** Rows are null-prototype objects: a column named `__proto__` stays an ordinary key. */
function readRow(r: ByteReader): TextRow {
  const n = r.uvarint();
  const row: Record<string, TextValue> = Object.create(null);
  for (let i = 0; i < n; i++) {
    const name = r.string();
    const tag = r.byte();
    row[name] = tag === 0 ? null : tag === 1 ? UNCHANGED_TOAST : r.string();
  }
  return row;
}

function writeSchema(w: ByteWriter, ev: SchemaChange): void {
  w.string(ev.db);
  w.string(ev.schema);
  w.string(ev.table);
  w.uvarint(ev.relationId);
  w.uvarint(ev.version);
  w.string(ev.replicaIdentity);
  w.ubigvarint(ev.lsn);
  w.svarint(ev.ts_ms);
  w.uvarint(ev.columns.length);
  for (const c of ev.columns) writeColumn(w, c);
}

function writeColumn(w: ByteWriter, c: ColumnMeta): void {
  w.string(c.name);
  w.uvarint(c.typeOid);
  w.string(c.typeName);
  w.svarint(c.typmod);
  const flags =
    (c.isKey ? 1 : 0) | (c.typeKind !== undefined ? 2 : 0) | (c.baseTypeName !== undefined ? 4 : 0);
  w.byte(flags);
  if (c.typeKind !== undefined) w.string(c.typeKind);
  if (c.baseTypeName !== undefined) w.string(c.baseTypeName);
}

function readSchema(r: ByteReader): SchemaChange {
  const db = r.string();
  const schema = r.string();
  const table = r.string();
  const relationId = r.uvarint();
  const version = r.uvarint();
  const replicaIdentity = r.string();
  const lsn = r.ubigvarint();
  const ts_ms = r.svarint();
  const n = r.uvarint();
  const columns: ColumnMeta[] = [];
  for (let i = 0; i < n; i++) columns.push(readColumn(r));
  return {
    kind: 'schema',
    db,
    schema,
    table,
    relationId,
    version,
    replicaIdentity,
    lsn,
    ts_ms,
    columns,
  };
}

function readColumn(r: ByteReader): ColumnMeta {
  const name = r.string();
  const typeOid = r.uvarint();
  const typeName = r.string();
  const typmod = r.svarint();
  const flags = r.byte();
  const col: { -readonly [K in keyof ColumnMeta]: ColumnMeta[K] } = {
    name,
    typeOid,
    typeName,
    typmod,
    isKey: (flags & 1) === 1,
  };
  if (flags & 2) col.typeKind = r.string();
  if (flags & 4) col.baseTypeName = r.string();
  return col;
}

function writeTx(w: ByteWriter, ev: TxBoundary): void {
  w.byte(ev.phase === 'begin' ? 0 : 1);
  w.byte(ev.txId !== null ? 1 : 0);
  if (ev.txId !== null) w.uvarint(ev.txId);
  w.ubigvarint(ev.lsn);
  w.ubigvarint(ev.endLsn);
  w.svarint(ev.ts_ms);
  w.uvarint(ev.eventCount);
  const topics = Object.keys(ev.topics);
  w.uvarint(topics.length);
  for (const t of topics) {
    w.string(t);
    w.uvarint(ev.topics[t]!);
  }
}

function readTx(r: ByteReader): TxBoundary {
  const phase = r.byte() === 0 ? 'begin' : 'commit';
  const txId = r.byte() === 1 ? r.uvarint() : null;
  const lsn = r.ubigvarint();
  const endLsn = r.ubigvarint();
  const ts_ms = r.svarint();
  const eventCount = r.uvarint();
  const n = r.uvarint();
  const topics: Record<string, number> = Object.create(null);
  for (let i = 0; i < n; i++) topics[r.string()] = r.uvarint();
  return { kind: 'tx', phase, txId, lsn, endLsn, ts_ms, eventCount, topics };
}
