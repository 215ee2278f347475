/**
 * Child process of idempotency.fault.pg.test.ts: serves POST /orders (Hono + idempotency
 * middleware) on a free port against the Postgres at argv[2]; prints `listening <port>`.
 * The test SIGKILLs it mid-request.
 */
import { serve } from '@hono/node-server';
import pg from 'pg';
import { pgPoolDatabase } from '../sql/index.ts';
import { orderApp } from '../test-support/order-app.ts';
import { IdempotencyStore } from './idempotency-store.ts';

const pool = new pg.Pool({ connectionString: process.argv[2], max: 8 });
const store = new IdempotencyStore(pgPoolDatabase(pool));
await store.ready();
const app = orderApp(store);
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening ${info.port}\n`);
});
process.on('SIGTERM', () => server.close());
pool.on('error', (err) => process.stderr.write(`idle client error: ${err.message}\n`));
