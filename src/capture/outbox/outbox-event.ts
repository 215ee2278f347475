import { UnbundledError, utf8 } from '../../core/index.ts';

/** An event written in the same transaction as the business rows it describes. */
export interface OutboxEvent {
  /** Routes the event: topic `<prefix>.<aggregateType>` (e.g. `outbox.order`). */
  readonly aggregateType: string;
  /** Record key: all events of one aggregate go to one partition, in commit order. */
  readonly aggregateId: string;
  /** Event type, e.g. 'OrderPlaced'. */
  readonly type: string;
  /** Event body (JSON). */
  readonly payload: unknown;
}

/** `pg_logical_emit_message` prefix the capture routes as outbox events. */
export const OUTBOX_MESSAGE_PREFIX = 'unbundled.outbox';

/** Default outbox table name. */
export const OUTBOX_TABLE = 'unbundled_outbox';

/** Topic of an aggregate type's events: `<prefix>.<aggregateType>` (unsafe characters → `_`). */
export function outboxTopic(aggregateType: string, prefix = 'outbox'): string {
  return `${prefix}.${aggregateType.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The log record value of an outbox event: JSON `{ type, aggregateType, aggregateId, payload }`. */
export function encodeOutboxValue(ev: OutboxEvent): Uint8Array {
  return utf8(
    JSON.stringify({
      type: ev.type,
      aggregateType: ev.aggregateType,
      aggregateId: ev.aggregateId,
      payload: ev.payload,
    }),
  );
}

/** Parse and check an outbox event (from a logical message or an outbox row). */
export function parseOutboxEvent(json: unknown): OutboxEvent {
  const e = json as Partial<Record<keyof OutboxEvent, unknown>> | null;
  if (
    !e ||
    typeof e.aggregateType !== 'string' ||
    typeof e.aggregateId !== 'string' ||
    typeof e.type !== 'string'
  ) {
    throw new UnbundledError(
      'OUTBOX_EVENT_INVALID',
      'outbox event needs string aggregateType, aggregateId and type (and a JSON payload); write it with emitOutboxEvent() or insertOutboxEvent()',
      { details: { event: json } },
    );
  }
  return {
    aggregateType: e.aggregateType,
    aggregateId: e.aggregateId,
    type: e.type,
    payload: e.payload ?? null,
  };
}
