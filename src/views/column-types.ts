/**
 * Column types a view may declare for stores with typed tables (Postgres, DuckDB), named as in
 * Postgres. Read back as: text → string, int4/float8 → number, int8 → number (bigint beyond
 * 2^53), numeric → string (exact decimal), bool → boolean, timestamptz → Date, jsonb → JSON value.
 * DuckDB maps them to VARCHAR, INTEGER, BIGINT, DOUBLE, DECIMAL(38,10), BOOLEAN, TIMESTAMPTZ, JSON.
 */
export type ColumnType =
  | 'text'
  | 'int4'
  | 'int8'
  | 'float8'
  | 'numeric'
  | 'bool'
  | 'timestamptz'
  | 'jsonb';

/** Typed columns by row field name. Stores without it keep each row as one JSON value. */
export type ViewColumns = Readonly<Record<string, ColumnType>>;

/** The supported column types. */
export const COLUMN_TYPES: ReadonlySet<string> = new Set<ColumnType>([
  'text',
  'int4',
  'int8',
  'float8',
  'numeric',
  'bool',
  'timestamptz',
  'jsonb',
]);
