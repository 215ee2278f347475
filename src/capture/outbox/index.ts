export {
  encodeOutboxValue,
  OUTBOX_MESSAGE_PREFIX,
  OUTBOX_TABLE,
  type OutboxEvent,
  outboxTopic,
  parseOutboxEvent,
} from './outbox-event.ts';
export { outboxFromMessage, outboxFromRow } from './outbox-router.ts';
export { emitOutboxEvent, insertOutboxEvent, outboxTableDdl } from './outbox-writer.ts';
