import type { PGlite } from '@electric-sql/pglite';
import { UnbundledError } from '../../core/index.ts';
import { parseTableRef, qualified, type TableRef } from '../postgres/table-ref.ts';
import { INSTALL_SQL, snapshotSql, triggerSql } from './capture-sql.ts';

/** Options of `installCapture`. */
export interface InstallOptions {
  /**
   * Copy the rows a table already holds into the change table as snapshot ('r') events when its
   * triggers are first installed (same transaction, so nothing is missed or doubled). Default true.
   */
  readonly snapshot?: boolean;
}

/**
 * Create the change table, the schema table, the trigger functions and the triggers of `tables`
 * ('orders' = public.orders, 'sales.orders'), and drop the triggers of tables no longer listed.
 * Idempotent: run it at every start.
 * Rejects with CAPTURE_TABLE_MISSING when a table does not exist.
 */
export async function installCapture(
  db: PGlite,
  tables: readonly string[],
  options: InstallOptions = {},
): Promise<void> {
  const refs = tables.map(parseTableRef);
  await db.transaction(async (tx) => {
    await tx.exec(INSTALL_SQL);
    await dropUnlisted(tx, refs);
    for (const ref of refs) {
      const found = await tx.query<{ oid: number; installed: boolean }>(FIND_TABLE, [
        ref.schema,
        ref.table,
      ]);
      const rel = found.rows[0];
      if (rel === undefined) throw missingTable(ref);
      await tx.exec(triggerSql(qualified(ref)));
      if (!rel.installed && options.snapshot !== false) {
        await tx.exec(snapshotSql(qualified(ref), rel.oid));
      }
    }
  });
  // PGlite's transaction() does not sync the filesystem after COMMIT (electric-sql/pglite#1065).
  await db.syncToFs();
}

type Tx = Parameters<Parameters<PGlite['transaction']>[0]>[0];

/** Stop capturing tables that were captured before but are not in `refs` any more. */
async function dropUnlisted(tx: Tx, refs: readonly TableRef[]): Promise<void> {
  const res = await tx.query<TableRef>(CAPTURED_TABLES);
  const listed = new Set(refs.map((r) => `${r.schema}.${r.table}`));
  for (const t of res.rows) {
    if (listed.has(`${t.schema}.${t.table}`)) continue;
    for (const name of TRIGGERS) await tx.exec(`DROP TRIGGER IF EXISTS ${name} ON ${qualified(t)}`);
  }
}

const TRIGGERS = [
  'unbundled_capture_insert',
  'unbundled_capture_delete',
  'unbundled_capture_update',
  'unbundled_capture_truncate',
];

const CAPTURED_TABLES = `
SELECT n.nspname AS schema, c.relname AS "table"
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE t.tgname = 'unbundled_capture_insert'`;

const FIND_TABLE = `
SELECT c.oid::int AS oid,
       EXISTS (SELECT 1 FROM pg_trigger t
               WHERE t.tgrelid = c.oid AND t.tgname = 'unbundled_capture_insert') AS installed
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`;

function missingTable(ref: TableRef): UnbundledError {
  return new UnbundledError(
    'CAPTURE_TABLE_MISSING',
    `table ${ref.schema}.${ref.table} does not exist in the PGlite database; create it before starting the capture, or fix the name in "tables" ('name' means public.name)`,
    { details: { ...ref } },
  );
}
