import type pg from 'pg';
import { UnbundledError } from '../../core/index.ts';
import { walLevelError } from './pg-errors.ts';
import { qualified, type TableRef } from './table-ref.ts';

/** Fail early, with the fix, when the server or a table cannot be captured. */
export async function preflight(sql: pg.Client, tables: readonly TableRef[]): Promise<void> {
  const wal = (await sql.query('SHOW wal_level')).rows[0]?.wal_level as string;
  if (wal !== 'logical') throw walLevelError(undefined, wal);
  const role = await sql.query(
    'SELECT rolreplication OR rolsuper AS ok, current_user AS name FROM pg_roles WHERE rolname = current_user',
  );
  if (role.rows[0]?.ok !== true) {
    throw new UnbundledError(
      'CAPTURE_NO_REPLICATION_ROLE',
      `role "${role.rows[0]?.name}" lacks REPLICATION; CDC needs it: ALTER ROLE "${role.rows[0]?.name}" WITH REPLICATION`,
    );
  }
  for (const t of tables) await checkTable(sql, t);
}

async function checkTable(sql: pg.Client, t: TableRef): Promise<void> {
  const r = await sql.query(
    `SELECT c.relreplident AS ident,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_pk
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [t.schema, t.table],
  );
  const row = r.rows[0] as { ident: string; has_pk: boolean } | undefined;
  if (!row) {
    throw new UnbundledError(
      'CAPTURE_TABLE_MISSING',
      `table ${qualified(t)} does not exist; create it or remove it from the source's tables`,
    );
  }
  const ok = row.ident === 'f' || row.ident === 'i' || (row.ident === 'd' && row.has_pk);
  if (!ok) {
    throw new UnbundledError(
      'CAPTURE_NO_PRIMARY_KEY',
      `table ${qualified(t)} has no primary key and no REPLICA IDENTITY FULL, so its updates and deletes cannot be captured; add a primary key or run ALTER TABLE ${qualified(t)} REPLICA IDENTITY FULL`,
    );
  }
}
