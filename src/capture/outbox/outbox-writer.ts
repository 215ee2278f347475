import type pg from 'pg';
import { OUTBOX_MESSAGE_PREFIX, OUTBOX_TABLE, type OutboxEvent } from './outbox-event.ts';

type Queryable = Pick<pg.Client, 'query'>;

/**
 * Emit an outbox event into the WAL with `pg_logical_emit_message(true, …)`: transactional, so it
 * is captured only if the caller's transaction commits, in commit order, and needs no table.
 *
 * @example
 * await client.query('BEGIN');
 * await client.query('INSERT INTO orders …');
 * await emitOutboxEvent(client, { aggregateType: 'order', aggregateId: '42', type: 'OrderPlaced', payload: {…} });
 * await client.query('COMMIT');
 */
export async function emitOutboxEvent(client: Queryable, ev: OutboxEvent): Promise<void> {
  await client.query('SELECT pg_logical_emit_message(true, $1, $2)', [
    OUTBOX_MESSAGE_PREFIX,
    JSON.stringify(ev),
  ]);
}

/** DDL of the outbox table (capture it by listing it in the source's tables). */
export function outboxTableDdl(table = OUTBOX_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${table} (
    id bigserial PRIMARY KEY,
    aggregate_type text NOT NULL,
    aggregate_id text NOT NULL,
    type text NOT NULL,
    payload jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
  )`;
}

/**
 * Insert an outbox row in the caller's transaction. The capture routes the insert (not a polled
 * id range: sequences are handed out before commit, so id polling skips rows). Rows may be
 * deleted right after (even in the same transaction): deletes are not routed.
 */
export async function insertOutboxEvent(
  client: Queryable,
  ev: OutboxEvent,
  table = OUTBOX_TABLE,
): Promise<void> {
  await client.query(
    `INSERT INTO ${table} (aggregate_type, aggregate_id, type, payload) VALUES ($1, $2, $3, $4)`,
    [ev.aggregateType, ev.aggregateId, ev.type, JSON.stringify(ev.payload ?? null)],
  );
}
