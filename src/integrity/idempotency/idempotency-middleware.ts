import type { Context, MiddlewareHandler } from 'hono';
import { isRetryable, UnbundledError } from '../../core/index.ts';
import type { SqlDatabase, SqlExecutor } from '../sql/index.ts';
import { missingKeyError } from './errors.ts';
import { requestFingerprint } from './fingerprint.ts';
import { IdempotencyStore } from './idempotency-store.ts';
import { problemResponse } from './problem-response.ts';
import type { StoredResponse } from './stored-response.ts';
import { defaultIdempotencyStore } from './with-idempotency.ts';

/** Context variables the middleware sets for the handler. */
export interface IdempotencyVariables {
  /** The transaction of the business write; the stored response commits with it. */
  tx: SqlExecutor;
  /** `requestIdFor(clientId, key)`: put it in `HEADERS.requestId` of appended records. */
  requestId: string;
}

export interface IdempotencyMiddlewareOptions {
  /** A database (default store) or a configured `IdempotencyStore`. */
  readonly store: SqlDatabase | IdempotencyStore;
  /** Answer 400 when the key is missing. Default true. When false the request runs unprotected. */
  readonly required?: boolean;
  /** Methods that take keys. Default POST and PATCH (the others are idempotent by definition). */
  readonly methods?: readonly string[];
  /** Header name. Default `Idempotency-Key`. */
  readonly header?: string;
  /** Client scope of keys. Default: the `X-Client-Id` header, else 'anonymous'. */
  readonly clientId?: (c: Context) => string;
  /** Store responses of thrown non-retryable errors (replayed like Stripe's 500s). Default true. */
  readonly storeErrors?: boolean;
}

/** Header set on replayed responses (as Stripe does). */
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Hono middleware implementing the Idempotency-Key header (IETF httpapi draft, Stripe
 * semantics). The route handler runs inside a transaction, available as `c.get('tx')`.
 *
 * @example
 * app.post('/orders', idempotency({ store: db }), async (c) => {
 *   await c.get('tx').query('INSERT INTO orders ...', [...]);
 *   return c.json({ ok: true }, 201);
 * });
 */
export function idempotency(
  options: IdempotencyMiddlewareOptions,
): MiddlewareHandler<{ Variables: IdempotencyVariables }> {
  const store =
    options.store instanceof IdempotencyStore
      ? options.store
      : defaultIdempotencyStore(options.store);
  const methods = new Set((options.methods ?? ['POST', 'PATCH']).map((m) => m.toUpperCase()));
  const header = options.header ?? 'Idempotency-Key';
  const clientIdOf =
    options.clientId ?? ((c: Context) => c.req.header('x-client-id') ?? 'anonymous');
  const storeErrors = options.storeErrors ?? true;

  return async (c, next) => {
    if (!methods.has(c.req.method)) return next();
    const key = c.req.header(header);
    if (key === undefined) {
      if (options.required ?? true) return problemResponse(missingKeyError(header));
      return runUnprotected(c, next, store.db);
    }
    const body = new Uint8Array(await c.req.arrayBuffer());
    const url = new URL(c.req.url);
    const fingerprint = requestFingerprint(c.req.method, url.pathname + url.search, body);
    try {
      const out = await store.run(
        { clientId: clientIdOf(c), key, fingerprint },
        async (tx, { requestId }) => {
          c.set('tx', tx);
          c.set('requestId', requestId);
          await next();
          const response = await capture(c.res);
          if (c.error) throw new HandlerFailed(c.error, response);
          return response;
        },
        {
          errorResponse: (err) =>
            storeErrors && err instanceof HandlerFailed ? err.response : undefined,
        },
      );
      const extra: Record<string, string> =
        out.kind === 'replayed' ? { [REPLAYED_HEADER]: 'true' } : {};
      setResponse(c, out.response, extra);
    } catch (err) {
      if (err instanceof HandlerFailed) setResponse(c, err.response, {});
      else setResponse(c, await capture(problemResponse(err)), {});
    }
  };
}

/** No key and none required: still give the handler a transaction; roll back on error. */
async function runUnprotected(c: Context, next: () => Promise<void>, db: SqlDatabase) {
  try {
    await db.transaction(async (tx) => {
      c.set('tx', tx);
      await next();
      if (c.error) throw c.error;
    });
  } catch (err) {
    if (err !== c.error) throw err;
  }
}

/** A handler error plus the response Hono's error handler made of it. */
class HandlerFailed extends UnbundledError {
  readonly response: StoredResponse;
  constructor(cause: Error, response: StoredResponse) {
    super('IDEMPOTENT_HANDLER_FAILED', `the route handler failed: ${cause.message}`, {
      cause,
      retryable: isRetryable(cause),
      details: { status: response.status },
    });
    this.response = response;
  }
}

async function capture(res: Response): Promise<StoredResponse> {
  const body = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: Object.fromEntries(res.headers.entries()), body };
}

function setResponse(c: Context, r: StoredResponse, extra: Record<string, string>): void {
  c.res = undefined;
  const body = r.body.byteLength === 0 || r.status === 204 || r.status === 304 ? null : r.body;
  c.res = new Response(body as ConstructorParameters<typeof Response>[0], {
    status: r.status,
    headers: { ...r.headers, ...extra },
  });
}
