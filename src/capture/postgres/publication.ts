import type pg from 'pg';
import { qualified, quoteIdent, type TableRef } from './table-ref.ts';

/** Create the publication if missing, and add any table it lacks (never removes tables). */
export async function ensurePublication(
  sql: pg.Client,
  name: string,
  tables: readonly TableRef[] | 'all',
): Promise<void> {
  const exists = await sql.query('SELECT puballtables FROM pg_publication WHERE pubname = $1', [
    name,
  ]);
  const list = tables === 'all' ? '' : tables.map(qualified).join(', ');
  if (exists.rowCount === 0) {
    const what = tables === 'all' ? 'FOR ALL TABLES' : `FOR TABLE ${list}`;
    await sql.query(`CREATE PUBLICATION ${quoteIdent(name)} ${what}`);
    return;
  }
  if (tables === 'all' || exists.rows[0]?.puballtables === true) return;
  const have = await sql.query(
    'SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1',
    [name],
  );
  const present = new Set(have.rows.map((r) => `${r.schemaname}.${r.tablename}`));
  const missing = tables.filter((t) => !present.has(`${t.schema}.${t.table}`));
  if (missing.length > 0) {
    await sql.query(
      `ALTER PUBLICATION ${quoteIdent(name)} ADD TABLE ${missing.map(qualified).join(', ')}`,
    );
  }
}
