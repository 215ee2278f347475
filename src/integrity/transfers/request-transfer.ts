import type { AppendEventsResult, EventAppender } from '../events/event-appender.ts';
import type { TransferRequest, TransfersDef } from './transfer-def.ts';

/**
 * Log a transfer request once: a retry with the same request id appends nothing and returns the
 * original position. The splitter turns it into a debit and a credit later.
 *
 * @example
 * await requestTransfer(appender, bank, { requestId, from: 'alice', to: 'bob', amount: 500 });
 */
export function requestTransfer(
  appender: EventAppender,
  def: TransfersDef,
  t: TransferRequest,
): Promise<AppendEventsResult> {
  return appender.append(def.requests, [t], { idempotencyKey: t.requestId });
}
