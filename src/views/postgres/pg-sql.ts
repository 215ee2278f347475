import { quoteIdent } from '../version-name.ts';
import type { PgColumnType, TableLayout } from './columns.ts';
import { columnDefs } from './columns.ts';

/** Tables shared by all Postgres views: committed positions and the live version of each view. */
export const CATALOG_DDL = `
CREATE TABLE IF NOT EXISTS unbundled_view_positions (
  view text NOT NULL,
  version text NOT NULL,
  table_name text NOT NULL,
  position jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (view, version)
);
CREATE TABLE IF NOT EXISTS unbundled_view_live (
  view text PRIMARY KEY,
  version text NOT NULL,
  promoted_at timestamptz NOT NULL DEFAULT now()
);`;

/** Serializes catalog DDL across processes (CREATE IF NOT EXISTS races otherwise). */
export const CATALOG_LOCK = `SELECT pg_advisory_xact_lock(hashtext('unbundled_views'))`;

/** Extra DDL for the full-text variant: a generated tsvector column and its GIN index. */
export interface SearchDdl {
  readonly config: string;
  readonly fields: readonly string[];
}

/** `CREATE TABLE` of one view version. Keys sort in byte order (COLLATE "C") so scans use the index. */
export function createTableSql(table: string, layout: TableLayout, search?: SearchDdl): string {
  const t = quoteIdent(table);
  const base = `CREATE TABLE IF NOT EXISTS ${t} (key text COLLATE "C" PRIMARY KEY${columnDefs(layout)}${search ? `, search tsvector GENERATED ALWAYS AS (${tsvectorExpr(layout, search)}) STORED` : ''})`;
  if (!search) return base;
  return `${base}; CREATE INDEX IF NOT EXISTS ${quoteIdent(`${table}_search`)} ON ${t} USING gin (search)`;
}

function tsvectorExpr(layout: TableLayout, search: SearchDdl): string {
  const parts = search.fields.map((f) =>
    layout.typed
      ? `coalesce(${quoteIdent(f)}::text, '')`
      : `coalesce(row->>'${f.replaceAll("'", "''")}', '')`,
  );
  return `to_tsvector('${search.config.replaceAll("'", "''")}'::regconfig, ${parts.join(` || ' ' || `)})`;
}

/** One upsert per batch: `INSERT ... SELECT FROM unnest(...) ON CONFLICT (key) DO UPDATE`. */
export function upsertSql(table: string, layout: TableLayout): string {
  const cols = layout.names.map(quoteIdent);
  const casts = [`$1::text[]`, ...layout.types.map((t: PgColumnType, i) => `$${i + 2}::${t}[]`)];
  const set = cols.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  return `INSERT INTO ${quoteIdent(table)} (key${cols.map((c) => `, ${c}`).join('')}) SELECT * FROM unnest(${casts.join(', ')}) ON CONFLICT (key) DO ${set === '' ? 'NOTHING' : `UPDATE SET ${set}`}`;
}

/** One delete per batch. */
export function deleteSql(table: string): string {
  return `DELETE FROM ${quoteIdent(table)} WHERE key = ANY($1::text[])`;
}

/** Key-ordered page; fetches limit + 1 rows to know whether another page follows. */
export function scanSql(relation: string, withCursor: boolean): string {
  const where = withCursor ? 'WHERE key > $2' : '';
  return `SELECT * FROM ${quoteIdent(relation)} ${where} ORDER BY key COLLATE "C" LIMIT $1`;
}

/** Point read. */
export function getSql(relation: string): string {
  return `SELECT * FROM ${quoteIdent(relation)} WHERE key = $1`;
}
