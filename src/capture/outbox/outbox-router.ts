import type { TextRow } from '../../core/index.ts';
import { parseJsonSafe } from '../../core/index.ts';
import { type OutboxEvent, parseOutboxEvent } from './outbox-event.ts';

/** The outbox event of an inserted outbox-table row (columns as in `outboxTableDdl`). */
export function outboxFromRow(after: TextRow): OutboxEvent {
  const payload = after.payload;
  return parseOutboxEvent({
    aggregateType: after.aggregate_type,
    aggregateId: after.aggregate_id,
    type: after.type,
    payload: typeof payload === 'string' ? parseJsonSafe(payload) : null,
  });
}

/** The outbox event of a logical decoding message's content. */
export function outboxFromMessage(content: Uint8Array): OutboxEvent {
  return parseOutboxEvent(parseJsonSafe(Buffer.from(content).toString('utf8')));
}
