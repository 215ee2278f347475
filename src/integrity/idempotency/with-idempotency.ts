import type { SqlDatabase } from '../sql/index.ts';
import {
  IdempotencyStore,
  type IdempotentHandler,
  type IdempotentRequest,
  type RunOptions,
} from './idempotency-store.ts';
import type { IdempotencyOutcome } from './stored-response.ts';

const defaultStores = new WeakMap<SqlDatabase, IdempotencyStore>();

/** The default store of a database (default table, 24 h expiry), created on first use. */
export function defaultIdempotencyStore(db: SqlDatabase): IdempotencyStore {
  let store = defaultStores.get(db);
  if (store === undefined) {
    store = new IdempotencyStore(db);
    defaultStores.set(db, store);
  }
  return store;
}

/**
 * Run `fn` at most once per (clientId, key) within the expiry. `fn` receives the transaction
 * of the business write; its response is stored in that same transaction, so "did it" and
 * "remembered it" commit together. A retry replays the stored response; a retry while the first
 * runs throws IDEMPOTENCY_IN_FLIGHT (409); a different fingerprint throws
 * IDEMPOTENCY_KEY_REUSED (422). Responses with status 400/422 are not stored (rolled back).
 *
 * @example
 * const out = await withIdempotency(db, { clientId, key, fingerprint }, async (tx, { requestId }) => {
 *   await tx.query('INSERT INTO orders (id, request_id) VALUES ($1, $2)', [id, requestId]);
 *   return { status: 201, headers: { 'content-type': 'application/json' }, body: utf8('{"id":1}') };
 * });
 */
export function withIdempotency(
  db: SqlDatabase | IdempotencyStore,
  req: IdempotentRequest,
  fn: IdempotentHandler,
  opts?: RunOptions,
): Promise<IdempotencyOutcome> {
  const store = db instanceof IdempotencyStore ? db : defaultIdempotencyStore(db);
  return store.run(req, fn, opts);
}
