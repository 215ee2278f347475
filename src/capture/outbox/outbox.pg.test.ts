import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8 } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';
import { postgres } from '../postgres/postgres-source.ts';
import { readTopic, tempLog, until } from '../postgres/test-support.ts';
import { emitOutboxEvent, insertOutboxEvent, outboxTableDdl } from './outbox-writer.ts';

let server: PostgresInstance;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function events(log: Log, topic: string) {
  if (!(await log.listTopics()).some((t) => t.name === topic)) return [];
  const { end } = await log.offsets(topic, 0);
  const out: { key: string | null; value: Record<string, unknown>; commit: boolean }[] = [];
  if (end === 0) return out;
  for await (const batch of log.read(topic, 0, 0, { follow: false })) {
    for (const r of batch) {
      out.push({
        key: r.key ? fromUtf8(r.key) : null,
        value: JSON.parse(fromUtf8(r.value!)),
        commit: r.headers['ub-tx'] === 'commit',
      });
    }
    if (out.length >= end) break;
  }
  return out;
}

describe('outbox', () => {
  it('routes outbox rows and logical messages by aggregate type, keyed by id, only when committed', async () => {
    const url = await server.createDatabase('outbox');
    const c = new pg.Client(url);
    await c.connect();
    await c.query('CREATE TABLE orders (id int PRIMARY KEY, total numeric)');
    await c.query(outboxTableDdl());
    const { log, cleanup } = await tempLog();
    const ac = new AbortController();
    const source = postgres({
      connection: url,
      tables: ['orders', 'unbundled_outbox'],
      onSnapshotProgress: () => {},
    });
    const running = source.run(log, ac.signal);
    try {
      await until(async () => source.current.type === 'streaming');
      await c.query('BEGIN');
      await c.query('INSERT INTO orders VALUES (1, 9.5)');
      await insertOutboxEvent(c, {
        aggregateType: 'order',
        aggregateId: '1',
        type: 'OrderPlaced',
        payload: { total: '9.5', __proto__: 1 },
      });
      await emitOutboxEvent(c, {
        aggregateType: 'customer',
        aggregateId: 'c7',
        type: 'Ordered',
        payload: { order: 1 },
      });
      await c.query('DELETE FROM unbundled_outbox');
      await c.query('COMMIT');
      await c.query('BEGIN');
      await emitOutboxEvent(c, {
        aggregateType: 'order',
        aggregateId: '2',
        type: 'Aborted',
        payload: null,
      });
      await insertOutboxEvent(c, {
        aggregateType: 'order',
        aggregateId: '2',
        type: 'Aborted',
        payload: null,
      });
      await c.query('ROLLBACK');
      await emitOutboxEvent(c, {
        aggregateType: 'order',
        aggregateId: '1',
        type: 'OrderPaid',
        payload: {},
      });
      await c.query("SELECT pg_logical_emit_message(true, 'unbundled.outbox', 'not json')");
      await until(async () => (await events(log, 'outbox.dead-letter')).length === 1);
      const orders = await events(log, 'outbox.order');
      expect(orders.map((e) => [e.key, e.value.type, e.commit])).toEqual([
        ['1', 'OrderPlaced', true],
        ['1', 'OrderPaid', true],
      ]);
      expect(orders[0]!.value.payload).toEqual({ total: '9.5' });
      const customers = await events(log, 'outbox.customer');
      expect(customers.map((e) => [e.key, e.value.type])).toEqual([['c7', 'Ordered']]);
      expect((await events(log, 'outbox.dead-letter'))[0]!.value.content).toBe('not json');
      // the outbox table's rows are routed, not mirrored into its table topic (schema only)
      const mirrored = await readTopic(log, 'pg.public.unbundled_outbox');
      expect(mirrored.filter((r) => r.event.kind === 'row')).toEqual([]);
    } finally {
      ac.abort();
      await running;
      await c.end();
      await cleanup();
    }
  });
});
