import { isRetryable } from '../../core/index.ts';
import type { SqlDatabase, SqlExecutor } from '../sql/index.ts';
import { httpStatusOf, inFlightError, invalidKeyError, keyReusedError } from './errors.ts';
import { advisoryLockId } from './fingerprint.ts';
import {
  checkTableName,
  DEFAULT_IDEMPOTENCY_TABLE,
  ensureIdempotencySchema,
} from './idempotency-schema.ts';
import { requestIdFor } from './request-id.ts';
import type { IdempotencyOutcome, StoredResponse } from './stored-response.ts';

/** Default expiry of a stored key and response: 24 hours (Stripe's window). */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** Longest accepted key (Stripe's limit). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

export interface IdempotencyStoreOptions {
  /** Table for keys and responses. Default `ub_idempotency_keys`. */
  readonly table?: string;
  /** How long a completed key replays its response. Default 24 h. */
  readonly ttlMs?: number;
  /** Expired rows are deleted (in batches of `purgeBatch`) at most this often. Default 60 s. */
  readonly purgeIntervalMs?: number;
  readonly purgeBatch?: number;
  /** Clock in epoch ms (tests). */
  readonly now?: () => number;
  /** Whether a returned response is stored. Default: all but 400 and 422 (validation failures). */
  readonly isStored?: (response: StoredResponse) => boolean;
}

/** What identifies one idempotent request. */
export interface IdempotentRequest {
  readonly clientId: string;
  readonly key: string;
  /** See `requestFingerprint`. */
  readonly fingerprint: string;
}

/** Given to the handler beside the transaction. */
export interface IdempotentContext {
  /** Put this in `HEADERS.requestId` of every record the request appends. */
  readonly requestId: string;
}

export type IdempotentHandler = (
  tx: SqlExecutor,
  ctx: IdempotentContext,
) => Promise<StoredResponse>;

export interface RunOptions {
  /**
   * Turn a thrown (non-validation, non-retryable) error into a response that is stored and
   * replayed, as Stripe replays 500s. The business write is rolled back either way. Default:
   * rethrow and store nothing.
   */
  readonly errorResponse?: (err: unknown) => StoredResponse | undefined;
}

class NotStored {
  constructor(readonly response: StoredResponse) {}
}

interface Row {
  fingerprint: string;
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
  expires_at: string | number;
}

/**
 * Idempotency keys stored in Postgres or PGlite, written in the same transaction as the business
 * write. Concurrency: in one process an in-memory set answers 409 at once; across processes
 * (real Postgres) `pg_try_advisory_xact_lock` on the scoped key answers 409 without waiting,
 * and the primary key is the backstop. PGlite has one session, so no second process exists.
 */
export class IdempotencyStore {
  readonly #db: SqlDatabase;
  readonly #table: string;
  readonly #ttlMs: number;
  readonly #purgeIntervalMs: number;
  readonly #purgeBatch: number;
  readonly #now: () => number;
  readonly #isStored: (r: StoredResponse) => boolean;
  readonly #inFlight = new Set<string>();
  #schema: Promise<void> | undefined;
  #lastPurge = 0;

  constructor(db: SqlDatabase, options: IdempotencyStoreOptions = {}) {
    this.#db = db;
    this.#table = checkTableName(options.table ?? DEFAULT_IDEMPOTENCY_TABLE);
    this.#ttlMs = options.ttlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    this.#purgeIntervalMs = options.purgeIntervalMs ?? 60_000;
    this.#purgeBatch = options.purgeBatch ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#isStored = options.isStored ?? ((r) => r.status !== 400 && r.status !== 422);
  }

  /** The database keys are stored in. */
  get db(): SqlDatabase {
    return this.#db;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Create the table if missing (runs once; later calls share the promise). */
  ready(): Promise<void> {
    this.#schema ??= ensureIdempotencySchema(this.#db, this.#table).catch((err: unknown) => {
      this.#schema = undefined;
      throw err;
    });
    return this.#schema;
  }

  /** Run `fn` at most once per (client, key) within the expiry; see `withIdempotency`. */
  async run(req: IdempotentRequest, fn: IdempotentHandler, opts: RunOptions = {}) {
    checkKey(req.key);
    const requestId = requestIdFor(req.clientId, req.key);
    if (this.#inFlight.has(requestId)) throw inFlightError(requestId);
    this.#inFlight.add(requestId);
    try {
      await this.ready();
      await this.#maybePurge();
      return await this.#runOnce(req, requestId, fn, opts);
    } finally {
      this.#inFlight.delete(requestId);
    }
  }

  async #runOnce(
    req: IdempotentRequest,
    requestId: string,
    fn: IdempotentHandler,
    opts: RunOptions,
  ): Promise<IdempotencyOutcome> {
    try {
      return await this.#db.transaction(async (tx) => {
        await this.#lock(tx, req, requestId);
        const stored = await this.#lookup(tx, req, requestId);
        if (stored) return { kind: 'replayed', response: stored, requestId };
        const response = await fn(tx, { requestId });
        if (!this.#isStored(response)) throw new NotStored(response);
        if (!(await this.#insert(tx, req, response))) throw inFlightError(requestId);
        return { kind: 'executed', response, requestId };
      });
    } catch (err) {
      if (err instanceof NotStored)
        return { kind: 'not-stored', response: err.response, requestId };
      return await this.#storeThrown(err, req, requestId, opts);
    }
  }

  async #storeThrown(
    err: unknown,
    req: IdempotentRequest,
    requestId: string,
    opts: RunOptions,
  ): Promise<IdempotencyOutcome> {
    const status = httpStatusOf(err);
    if (status === 400 || status === 409 || status === 422 || isRetryable(err)) throw err;
    const response = opts.errorResponse?.(err);
    if (response === undefined) throw err;
    const stored = await this.#db.transaction(async (tx) => {
      await this.#lock(tx, req, requestId);
      const prior = await this.#lookup(tx, req, requestId);
      if (prior) return prior;
      await this.#insert(tx, req, response);
      return response;
    });
    return { kind: stored === response ? 'executed' : 'replayed', response: stored, requestId };
  }

  async #lock(tx: SqlExecutor, req: IdempotentRequest, requestId: string): Promise<void> {
    if (this.#db.kind === 'single-session') return;
    const id = advisoryLockId(this.#table, req.clientId, req.key);
    const { rows } = await tx.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1::bigint) AS ok',
      [id],
    );
    if (rows[0]?.ok !== true) throw inFlightError(requestId);
  }

  async #lookup(
    tx: SqlExecutor,
    req: IdempotentRequest,
    requestId: string,
  ): Promise<StoredResponse | undefined> {
    const { rows } = await tx.query<Row>(
      `SELECT fingerprint, status, headers, body, expires_at FROM ${this.#table}
       WHERE client_id = $1 AND key = $2`,
      [req.clientId, req.key],
    );
    const row = rows[0];
    if (row === undefined || Number(row.expires_at) <= this.#now()) return undefined;
    if (row.fingerprint !== req.fingerprint) throw keyReusedError(requestId);
    return Object.freeze({
      status: row.status,
      headers: Object.freeze({ ...row.headers }),
      body: new Uint8Array(row.body),
    });
  }

  /** Insert, replacing an expired row; false when a live row exists (lost a race). */
  async #insert(tx: SqlExecutor, req: IdempotentRequest, r: StoredResponse): Promise<boolean> {
    const now = this.#now();
    const { rows } = await tx.query(
      `INSERT INTO ${this.#table} AS t
         (client_id, key, fingerprint, status, headers, body, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
       ON CONFLICT (client_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,
         status = EXCLUDED.status, headers = EXCLUDED.headers, body = EXCLUDED.body,
         created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
       WHERE t.expires_at <= $7
       RETURNING 1 AS ok`,
      [
        req.clientId,
        req.key,
        req.fingerprint,
        r.status,
        JSON.stringify(r.headers),
        r.body,
        now,
        now + this.#ttlMs,
      ],
    );
    return rows.length === 1;
  }

  /** Delete up to `purgeBatch` expired keys; returns how many were deleted. */
  async purgeExpired(): Promise<number> {
    await this.ready();
    const { rows } = await this.#db.query(
      `DELETE FROM ${this.#table} WHERE ctid IN (
         SELECT ctid FROM ${this.#table} WHERE expires_at <= $1 LIMIT $2) RETURNING 1 AS ok`,
      [this.#now(), this.#purgeBatch],
    );
    return rows.length;
  }

  async #maybePurge(): Promise<void> {
    const now = this.#now();
    if (now - this.#lastPurge < this.#purgeIntervalMs) return;
    this.#lastPurge = now;
    await this.purgeExpired();
  }
}

function checkKey(key: string): void {
  const ok =
    key.length >= 1 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && /^[\x21-\x7e]+$/.test(key);
  if (!ok) throw invalidKeyError(key, MAX_IDEMPOTENCY_KEY_LENGTH);
}
