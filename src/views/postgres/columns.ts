import pg from 'pg';
import { UnbundledError } from '../../core/errors.ts';
import { COLUMN_TYPES, type ColumnType, type ViewColumns } from '../column-types.ts';
import { decodeJson, encodeJson } from '../json-codec.ts';
import { assertIdentifier, quoteIdent } from '../version-name.ts';

/** Postgres column types a view may declare (see `ColumnType`). */
export type PgColumnType = ColumnType;

/** Typed columns of a view table, by row field name. Without it, rows go to one jsonb `row` column. */
export type PgColumns = ViewColumns;

/** The physical layout of a view version's table: `key` plus typed columns, or `key` + `row jsonb`. */
export interface TableLayout {
  readonly names: readonly string[];
  readonly types: readonly PgColumnType[];
  readonly typed: boolean;
}

/** Validate a column spec and turn it into a layout (jsonb fallback when absent). */
export function tableLayout(view: string, columns: PgColumns | undefined): TableLayout {
  if (columns === undefined) return { names: ['row'], types: ['jsonb'], typed: false };
  const names = Object.keys(columns);
  for (const name of names) {
    assertIdentifier('column', name);
    if (name === 'key' || name === 'row' || name === 'search') throw reserved(view, name);
    if (!COLUMN_TYPES.has(columns[name]!)) throw badType(view, name, columns[name]!);
  }
  return { names, types: names.map((n) => columns[n]!), typed: true };
}

/** `CREATE TABLE` column definitions after the key. */
export function columnDefs(layout: TableLayout): string {
  return layout.names
    .map((n, i) => `, ${quoteIdent(n)} ${layout.types[i]}${layout.typed ? '' : ' NOT NULL'}`)
    .join('');
}

/** Column arrays for `unnest`: one array per column, rows in the same order as `keys`. */
export function columnArrays(view: string, layout: TableLayout, rows: readonly unknown[]) {
  if (!layout.typed) return [rows.map((r) => encodeJson(r))];
  return layout.names.map((name, i) => {
    const encode = encoders[layout.types[i]!];
    return rows.map((r) => encode((r as Record<string, unknown>)[name], view, name));
  });
}

/** Throw when a typed row has a field the table has no column for (it would be lost). */
export function checkFields(view: string, layout: TableLayout, row: unknown): void {
  if (!layout.typed) return;
  if (row === null || typeof row !== 'object') throw notObject(view, row);
  for (const f of Object.keys(row)) if (!layout.names.includes(f)) throw unknownField(view, f);
}

type Encoder = (v: unknown, view: string, col: string) => unknown;
const orNull =
  (f: (v: unknown) => unknown): Encoder =>
  (v) =>
    v === undefined || v === null ? null : f(v);

const encoders: Record<PgColumnType, Encoder> = {
  text: orNull((v) => v),
  int4: orNull((v) => v),
  int8: orNull((v) => String(v)),
  float8: orNull((v) => v),
  numeric: orNull((v) => String(v)),
  bool: orNull((v) => v),
  timestamptz: orNull((v) =>
    v instanceof Date ? v.toISOString() : typeof v === 'number' ? new Date(v).toISOString() : v,
  ),
  jsonb: (v) => (v === undefined ? null : encodeJson(v)),
};

const INT8 = 20;
const NUMERIC = 1700;
const JSON_OID = 114;
const JSONB = 3802;
const TSVECTOR = 3614;

/** Query `types` option: keep int8, numeric and jsonb as text so we decode them exactly. */
export const rawTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC || oid === JSONB || oid === JSON_OID)
      return (s: string) => s;
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

/** Decode a result row (queried with `rawTypes`) into a view row, from the result's field types. */
export function rowDecoder(
  fields: readonly pg.FieldDef[],
): (r: Record<string, unknown>) => unknown {
  const cols = fields.filter(
    (f) => f.name !== 'key' && f.dataTypeID !== TSVECTOR && !f.name.startsWith('_ub_'),
  );
  const first = cols[0];
  if (cols.length === 1 && first?.name === 'row' && first.dataTypeID === JSONB) {
    return (r) => decodeJson(r.row as string);
  }
  const decoders = cols.map((f) => [f.name, decoderFor(f.dataTypeID)] as const);
  return (r) => {
    const out: Record<string, unknown> = {};
    for (const [name, decode] of decoders) out[name] = decode(r[name]);
    return out;
  };
}

function decoderFor(oid: number): (v: unknown) => unknown {
  if (oid === INT8) return (v) => (v === null ? null : int8(v as string));
  if (oid === JSONB || oid === JSON_OID)
    return (v) => (v === null ? null : decodeJson(v as string));
  return (v) => v;
}

function int8(s: string): number | bigint {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : BigInt(s);
}

function reserved(view: string, name: string) {
  return new UnbundledError(
    'VIEW_COLUMN_INVALID',
    `view "${view}": column name "${name}" is reserved (key, row, search); rename the field`,
  );
}

function badType(view: string, name: string, type: string) {
  return new UnbundledError(
    'VIEW_COLUMN_INVALID',
    `view "${view}": column "${name}" has unsupported type "${type}"; use one of ${[...COLUMN_TYPES].join(', ')} (jsonb holds anything)`,
  );
}

function notObject(view: string, row: unknown) {
  return new UnbundledError(
    'VIEW_ROW_INVALID',
    `view "${view}": row ${String(row)} is not an object but the view declares typed columns; emit objects or drop the columns spec to store rows as jsonb`,
  );
}

function unknownField(view: string, field: string) {
  return new UnbundledError(
    'VIEW_ROW_INVALID',
    `view "${view}": row field "${field}" has no column; declare it in columns (jsonb if unsure) or drop it in the view's map`,
  );
}
