import type { Log } from '../../log/index.ts';
import {
  type AppendEventsOptions,
  type AppendEventsResult,
  EventAppender,
} from './event-appender.ts';
import type { EventStreamDef } from './event-stream.ts';

const appenders = new WeakMap<Log, EventAppender>();

/** The process-wide appender of a log (created on first use, default dedupe window). */
export function eventAppenderFor(log: Log): EventAppender {
  let a = appenders.get(log);
  if (a === undefined) {
    a = new EventAppender(log);
    appenders.set(log, a);
  }
  return a;
}

/**
 * Append events to a stream whose log is the source of truth. Each event is validated against
 * the stream's Standard Schema (VALIDATION_FAILED, HTTP 400, lists field paths); expected
 * versions per entity key give optimistic concurrency (APPEND_VERSION_CONFLICT, 409); a retry
 * with the same idempotency key appends nothing and returns the original offsets (the same key
 * with other events: IDEMPOTENCY_KEY_REUSED, 422).
 *
 * @example
 * const { token } = await appendEvents(log, orders, [{ orderId: 'o1', qty: 2 }], {
 *   idempotencyKey: requestIdFor(clientId, key), expectedVersions: { o1: 0 },
 * });
 */
export function appendEvents(
  log: Log,
  stream: EventStreamDef,
  events: readonly unknown[],
  opts: AppendEventsOptions,
): Promise<AppendEventsResult> {
  return eventAppenderFor(log).append(stream, events, opts);
}
