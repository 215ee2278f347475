import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import { pgPoolDatabase } from '../sql/index.ts';
import { runIdempotencySuite } from '../test-support/idempotency-suite.ts';
import { IdempotencyStore } from './idempotency-store.ts';

describe('idempotency on real Postgres', () => {
  let server: PostgresInstance;
  let pool: pg.Pool;
  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: 8 });
    // Idle clients get 57P01 when the server stops at the end; without a listener the pool
    // re-throws it as an uncaught exception.
    pool.on('error', () => {});
  });
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
  });

  runIdempotencySuite(async () => ({ db: pgPoolDatabase(pool), close: async () => {} }));

  it('answers 409 across processes: a second store (another process) sees the advisory lock', async () => {
    const db = pgPoolDatabase(pool);
    const a = new IdempotencyStore(db);
    const b = new IdempotencyStore(db); // its own in-memory set, as another process would have
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const req = { clientId: 'c', key: 'cross', fingerprint: 'f' };
    const body = new Uint8Array([1]);
    const first = a.run(req, async () => {
      await held;
      return { status: 201, headers: {}, body };
    });
    await new Promise((r) => setTimeout(r, 100));
    await expect(
      b.run(req, async () => ({ status: 201, headers: {}, body })),
    ).rejects.toMatchObject({
      code: 'IDEMPOTENCY_IN_FLIGHT',
    });
    release();
    expect((await first).kind).toBe('executed');
    expect((await b.run(req, async () => ({ status: 500, headers: {}, body }))).kind).toBe(
      'replayed',
    );
  });
});
