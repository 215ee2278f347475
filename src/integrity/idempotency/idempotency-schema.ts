import { UnbundledError } from '../../core/index.ts';
import type { SqlExecutor } from '../sql/index.ts';

/** Default table holding idempotency keys and stored responses. */
export const DEFAULT_IDEMPOTENCY_TABLE = 'ub_idempotency_keys';

/** Reject anything but a plain (optionally schema-qualified) SQL identifier. */
export function checkTableName(table: string): string {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) {
    throw new UnbundledError(
      'IDEMPOTENCY_TABLE_INVALID',
      `table name "${table}" is not a lower-case SQL identifier; use e.g. "ub_idempotency_keys"`,
    );
  }
  return table;
}

/**
 * Create the key table if missing. Times are epoch milliseconds (bigint) so a test clock and
 * the database agree. The primary key scopes keys per client.
 */
export async function ensureIdempotencySchema(db: SqlExecutor, table: string): Promise<void> {
  const index = `${table.replace('.', '_')}_expires_at`;
  try {
    await db.query(`CREATE TABLE IF NOT EXISTS ${table} (
      client_id text NOT NULL,
      key text NOT NULL,
      fingerprint text NOT NULL,
      status integer NOT NULL,
      headers jsonb NOT NULL,
      body bytea NOT NULL,
      created_at bigint NOT NULL,
      expires_at bigint NOT NULL,
      PRIMARY KEY (client_id, key))`);
    await db.query(`CREATE INDEX IF NOT EXISTS ${index} ON ${table} (expires_at)`);
  } catch (err) {
    // Two sessions racing on CREATE ... IF NOT EXISTS can hit a unique violation in the catalog.
    if ((err as { code?: string }).code !== '23505') throw err;
  }
}
