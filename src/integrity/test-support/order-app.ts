import { Hono } from 'hono';
import {
  type IdempotencyStore,
  type IdempotencyVariables,
  idempotency,
} from '../idempotency/index.ts';

/** Test fixture (no vitest imports: the SIGKILL child process serves it too). */
export interface Gate {
  wait: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

/** A small shop app: POST /orders inserts a row in the business transaction. */
export function orderApp(store: IdempotencyStore, hooks: { gate?: Gate; fail?: boolean } = {}) {
  const app = new Hono<{ Variables: IdempotencyVariables }>();
  app.onError((err, c) => c.json({ error: err.message }, 500));
  app.post('/orders', idempotency({ store }), async (c) => {
    const body = await c.req.json<{ sku?: string }>();
    if (typeof body.sku !== 'string')
      return c.json({ error: 'sku is required', path: ['sku'] }, 400);
    const { rows } = await c
      .get('tx')
      .query<{ id: number }>('INSERT INTO orders (sku, request_id) VALUES ($1, $2) RETURNING id', [
        body.sku,
        c.get('requestId'),
      ]);
    await hooks.gate?.wait;
    if (hooks.fail) throw new Error('payment provider exploded');
    c.header('x-order-id', String(rows[0]?.id));
    return c.json({ id: rows[0]?.id, sku: body.sku, at: Math.random() }, 201);
  });
  return app;
}

export function post(app: Hono<never>, key: string | undefined, body: unknown, client = 'c1') {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-client-id': client,
  };
  if (key !== undefined) headers['idempotency-key'] = key;
  return app.request('/orders', { method: 'POST', headers, body: JSON.stringify(body) });
}
