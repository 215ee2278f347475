import type { Hono } from 'hono';
import { expect, it } from 'vitest';
import { utf8 } from '../../core/index.ts';
import {
  IdempotencyStore,
  REPLAYED_HEADER,
  requestFingerprint,
  withIdempotency,
} from '../idempotency/index.ts';
import type { SqlDatabase } from '../sql/index.ts';
import { gate, orderApp, post } from './order-app.ts';

/** The database for a test; the suite drops and recreates its tables. */
export type DatabaseFactory = () => Promise<{ db: SqlDatabase; close(): Promise<void> }>;

async function orderCount(db: SqlDatabase): Promise<number> {
  const { rows } = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM orders');
  return Number(rows[0]?.n);
}

async function setup(factory: DatabaseFactory, options = {}) {
  const h = await factory();
  await h.db.query('DROP TABLE IF EXISTS orders, ub_idempotency_keys');
  await h.db.query('DROP FUNCTION IF EXISTS boom() CASCADE');
  await h.db.query(
    'CREATE TABLE IF NOT EXISTS orders (id serial PRIMARY KEY, sku text NOT NULL, request_id text)',
  );
  const store = new IdempotencyStore(h.db, options);
  await store.ready();
  return { ...h, store };
}

/** The idempotency semantics, run against PGlite and real Postgres alike. */
export function runIdempotencySuite(factory: DatabaseFactory): void {
  it('replays the stored response byte for byte and runs the handler once', async () => {
    const { db, store, close } = await setup(factory);
    const app = orderApp(store) as unknown as Hono<never>;
    const first = await post(app, 'k1', { sku: 'a' });
    const firstBody = new Uint8Array(await first.arrayBuffer());
    expect(first.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const again = await post(app, 'k1', { sku: 'a' });
      expect(again.status).toBe(201);
      expect(new Uint8Array(await again.arrayBuffer())).toEqual(firstBody);
      expect(again.headers.get('x-order-id')).toBe(first.headers.get('x-order-id'));
      expect(again.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(again.headers.get(REPLAYED_HEADER)).toBe('true');
    }
    expect(await orderCount(db)).toBe(1);
    await close();
  });

  it('answers 422 for the same key with another body, 400 for a missing or invalid key', async () => {
    const { db, store, close } = await setup(factory);
    const app = orderApp(store) as unknown as Hono<never>;
    expect((await post(app, 'k1', { sku: 'a' })).status).toBe(201);
    const reused = await post(app, 'k1', { sku: 'b' });
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toBe('application/problem+json');
    expect(((await reused.json()) as { title: string }).title).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await post(app, undefined, { sku: 'a' })).status).toBe(400);
    expect((await post(app, 'x'.repeat(256), { sku: 'a' })).status).toBe(400);
    expect((await post(app, 'has space', { sku: 'a' })).status).toBe(400);
    expect(await orderCount(db)).toBe(1);
    await close();
  });

  it('answers 409 while the first request is in flight, then replays', async () => {
    const { db, store, close } = await setup(factory);
    const g = gate();
    const app = orderApp(store, { gate: g }) as unknown as Hono<never>;
    const first = post(app, 'k1', { sku: 'a' });
    await new Promise((r) => setTimeout(r, 50));
    const second = await post(app, 'k1', { sku: 'a' });
    expect(second.status).toBe(409);
    expect(second.headers.get('retry-after')).toBe('1');
    g.open();
    expect((await first).status).toBe(201);
    const third = await post(app, 'k1', { sku: 'a' });
    expect(third.headers.get(REPLAYED_HEADER)).toBe('true');
    expect(await orderCount(db)).toBe(1);
    await close();
  });

  it('scopes keys per client', async () => {
    const { db, store, close } = await setup(factory);
    const app = orderApp(store) as unknown as Hono<never>;
    expect((await post(app, 'k1', { sku: 'a' }, 'alice')).status).toBe(201);
    const bob = await post(app, 'k1', { sku: 'a' }, 'bob');
    expect(bob.status).toBe(201);
    expect(bob.headers.get(REPLAYED_HEADER)).toBeNull();
    expect(await orderCount(db)).toBe(2);
    await close();
  });

  it('does not store validation failures (400) and rolls their writes back', async () => {
    const { db, store, close } = await setup(factory);
    const app = orderApp(store) as unknown as Hono<never>;
    const bad = await post(app, 'k1', { nope: 1 });
    expect(bad.status).toBe(400);
    // Same key, same (bad) body: runs again rather than replaying.
    const again = await post(app, 'k1', { nope: 1 });
    expect(again.headers.get(REPLAYED_HEADER)).toBeNull();
    const rows = await db.query('SELECT 1 FROM ub_idempotency_keys');
    expect(rows.rows).toHaveLength(0);
    await close();
  });

  it('stores thrown errors as 500 and replays them; the business write is rolled back', async () => {
    const { db, store, close } = await setup(factory);
    const app = orderApp(store, { fail: true }) as unknown as Hono<never>;
    const first = await post(app, 'k1', { sku: 'a' });
    expect(first.status).toBe(500);
    const again = await post(app, 'k1', { sku: 'a' });
    expect(again.status).toBe(500);
    expect(again.headers.get(REPLAYED_HEADER)).toBe('true');
    expect(await again.text()).toBe(await first.text());
    expect(await orderCount(db)).toBe(0);
    await close();
  });

  it('writes key and business row in one transaction: a failed key insert undoes the write', async () => {
    const { db, store, close } = await setup(factory);
    // Make "remember it" fail after "did it": the key insert raises inside the same transaction.
    await db.query(`CREATE OR REPLACE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN IF NEW.key = 'boom' THEN RAISE EXCEPTION 'crash between did and remembered'; END IF;
      RETURN NEW; END $$`);
    await db.query(
      'CREATE TRIGGER boom BEFORE INSERT ON ub_idempotency_keys FOR EACH ROW EXECUTE FUNCTION boom()',
    );
    const app = orderApp(store) as unknown as Hono<never>;
    expect((await post(app, 'boom', { sku: 'a' })).status).toBe(500);
    expect(await orderCount(db)).toBe(0);
    await close();
  });

  it('expires keys after the configured ttl and purges them', async () => {
    let now = 1_000_000;
    const { db, store, close } = await setup(factory, { ttlMs: 1000, now: () => now });
    const app = orderApp(store) as unknown as Hono<never>;
    expect((await post(app, 'k1', { sku: 'a' })).status).toBe(201);
    now += 999;
    expect((await post(app, 'k1', { sku: 'a' })).headers.get(REPLAYED_HEADER)).toBe('true');
    now += 1;
    const fresh = await post(app, 'k1', { sku: 'b' });
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get(REPLAYED_HEADER)).toBeNull();
    expect(await orderCount(db)).toBe(2);
    await post(app, 'k2', { sku: 'c' });
    now += 5000;
    expect(await store.purgeExpired()).toBe(2);
    await close();
  });

  // Planted bug, seen failing (PGlite, 2026-11-21): replaying nothing (`if (stored)` skipped) and
  // letting the key insert overwrite a live row made this test count 1000 orders instead of 100.
  it('retry storm: 1,000 concurrent retries of 100 requests take effect exactly once', async () => {
    const { db, store, close } = await setup(factory);
    const requests = 100;
    const tries = Array.from({ length: requests * 10 }, (_, i) => i % requests);
    tries.sort(() => Math.random() - 0.5);
    const bodies = new Map<number, Set<string>>();
    await Promise.all(
      tries.map(async (n) => {
        for (let attempt = 0; ; attempt++) {
          const out = await withIdempotency(
            store,
            {
              clientId: 'storm',
              key: `req-${n}`,
              fingerprint: requestFingerprint('POST', '/x', `${n}`),
            },
            async (tx, { requestId }) => {
              const { rows } = await tx.query<{ id: number }>(
                'INSERT INTO orders (sku, request_id) VALUES ($1, $2) RETURNING id',
                [`sku-${n}`, requestId],
              );
              return { status: 201, headers: {}, body: utf8(`${rows[0]?.id}:${Math.random()}`) };
            },
          ).catch((err: { code?: string }) => {
            if (err.code === 'IDEMPOTENCY_IN_FLIGHT') return undefined;
            throw err;
          });
          if (out === undefined) {
            await new Promise((r) =>
              setTimeout(r, Math.random() * Math.min(500, 10 * 2 ** attempt)),
            ); // client backoff
            continue;
          }
          const seen = bodies.get(n) ?? new Set();
          seen.add(Buffer.from(out.response.body).toString());
          bodies.set(n, seen);
          return;
        }
      }),
    );
    expect(await orderCount(db)).toBe(requests);
    const dup = await db.query(
      'SELECT request_id FROM orders GROUP BY request_id HAVING count(*) > 1',
    );
    expect(dup.rows).toEqual([]);
    for (const seen of bodies.values()) expect(seen.size).toBe(1);
    await close();
  });
}
