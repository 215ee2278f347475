import type { DuckDBAppender, DuckDBType } from '@duckdb/node-api';
import type { ColumnType } from '../column-types.ts';
import { decodeJson, encodeJson } from '../json-codec.ts';
import type { TableLayout } from '../postgres/columns.ts';
import { quoteIdent } from '../version-name.ts';

const TARGET: Record<ColumnType, string> = {
  text: 'VARCHAR',
  int4: 'INTEGER',
  int8: 'BIGINT',
  float8: 'DOUBLE',
  numeric: 'DECIMAL(38,10)',
  bool: 'BOOLEAN',
  timestamptz: 'TIMESTAMPTZ',
  jsonb: 'JSON',
};

/** Staging types: what the appender writes natively; the rest goes as VARCHAR and is cast on merge. */
const STAGE: Record<ColumnType, string> = {
  text: 'VARCHAR',
  int4: 'INTEGER',
  int8: 'BIGINT',
  float8: 'DOUBLE',
  numeric: 'VARCHAR',
  bool: 'BOOLEAN',
  timestamptz: 'VARCHAR',
  jsonb: 'VARCHAR',
};

/** Column definitions of a version table (after the key). */
export function targetDefs(layout: TableLayout): string {
  return layout.names.map((n, i) => `, ${quoteIdent(n)} ${TARGET[layout.types[i]!]}`).join('');
}

/** Column definitions of the staging table: key, delete flag, then the columns. */
export function stageDefs(layout: TableLayout): string {
  const cols = layout.names.map((n, i) => `, ${quoteIdent(n)} ${STAGE[layout.types[i]!]}`);
  return `key VARCHAR, del BOOLEAN${cols.join('')}`;
}

/** SELECT list that casts staged columns to the target types. */
export function mergeSelect(layout: TableLayout): string {
  const cols = layout.names.map(
    (n, i) => `, CAST(${quoteIdent(n)} AS ${TARGET[layout.types[i]!]})`,
  );
  return `key${cols.join('')}`;
}

/** Append one staged row: a delete (row null) or an upsert. */
export function appendRow(a: DuckDBAppender, layout: TableLayout, key: string, row: unknown): void {
  a.appendVarchar(key);
  a.appendBoolean(row === null);
  for (let i = 0; i < layout.names.length; i++) {
    const v =
      row === null ? null : layout.typed ? (row as Record<string, unknown>)[layout.names[i]!] : row;
    appendValue(a, layout.types[i]!, v);
  }
  a.endRow();
}

function appendValue(a: DuckDBAppender, type: ColumnType, v: unknown): void {
  if (v === null || v === undefined) a.appendNull();
  else if (type === 'int4') a.appendInteger(v as number);
  else if (type === 'int8') a.appendBigInt(BigInt(v as number | bigint));
  else if (type === 'float8') a.appendDouble(v as number);
  else if (type === 'bool') a.appendBoolean(v as boolean);
  else if (type === 'jsonb') a.appendVarchar(encodeJson(v));
  else if (type === 'timestamptz') a.appendVarchar(isoTime(v));
  else a.appendVarchar(String(v));
}

function isoTime(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'number' ? new Date(v).toISOString() : String(v);
}

/** Decode a value read with `getRowObjects` given its DuckDB type. */
export function decodeValue(type: DuckDBType, v: unknown): unknown {
  if (v === null) return null;
  if (type.alias === 'JSON') return decodeJson(v as string);
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
  const name = type.toString();
  if (name.startsWith('DECIMAL')) return trimDecimal(String(v));
  if (name === 'TIMESTAMP WITH TIME ZONE') {
    return new Date(Number((v as { micros: bigint }).micros / 1000n));
  }
  return v;
}

function trimDecimal(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}
