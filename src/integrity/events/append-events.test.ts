import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodePositionToken, fromUtf8, HEADERS, type LogRecord } from '../../core/index.ts';
import { type EmbeddedLog, openEmbeddedLog } from '../../log/index.ts';
import { appendEvents } from './append-events.ts';
import { EventAppender } from './event-appender.ts';
import { defineEventStream } from './event-stream.ts';

const orders = defineEventStream({
  name: 'orders',
  partitions: 4,
  schema: z.object({
    orderId: z.string(),
    items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })),
  }),
  key: (e) => e.orderId,
});

const order = (orderId: string, qty = 1) => ({ orderId, items: [{ sku: 'a', qty }] });

async function all(log: EmbeddedLog, topic: string, partitions: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (let p = 0; p < partitions; p++) {
    for await (const b of log.read(topic, p, 0, { follow: false })) out.push(...b);
  }
  return out;
}

describe('appendEvents on the embedded log', () => {
  let dir: string;
  let log: EmbeddedLog;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ub-integrity-events-'));
    log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0 });
  });
  afterEach(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects an invalid event with its field path (400) and appends nothing', async () => {
    const bad = { orderId: 'o1', items: [{ sku: 'a', qty: -1 }] };
    const err = await appendEvents(log, orders, [order('o0'), bad], { idempotencyKey: 'r1' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', details: { status: 400 } });
    const issues = (err as { details: { issues: { path: string }[] } }).details.issues;
    expect(issues.map((i) => i.path)).toEqual(['items.0.qty']);
    expect(await log.listTopics()).toEqual([]);
  });

  it('a retry appends nothing and returns the original offsets and token', async () => {
    const first = await appendEvents(log, orders, [order('o1'), order('o2'), order('o1', 2)], {
      idempotencyKey: 'r1',
    });
    expect(first.duplicate).toBe(false);
    const again = await appendEvents(log, orders, [order('o1'), order('o2'), order('o1', 2)], {
      idempotencyKey: 'r1',
    });
    expect(again.duplicate).toBe(true);
    expect(again.appended).toEqual(first.appended);
    expect(again.token).toBe(first.token);
    expect(decodePositionToken(first.token)).toEqual(first.position);
    const records = await all(log, 'orders', 4);
    expect(records).toHaveLength(3);
    expect(new Set(records.map((r) => r.headers[HEADERS.requestId]))).toEqual(new Set(['r1']));
  });

  it('refuses the same key with other events (422)', async () => {
    await appendEvents(log, orders, [order('o1')], { idempotencyKey: 'r1' });
    await expect(
      appendEvents(log, orders, [order('o1', 5)], { idempotencyKey: 'r1' }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', details: { status: 422 } });
  });

  it('enforces expected versions per key (409 on conflict)', async () => {
    await appendEvents(log, orders, [order('o1')], {
      idempotencyKey: 'a',
      expectedVersions: { o1: 0 },
    });
    await expect(
      appendEvents(log, orders, [order('o1', 2)], {
        idempotencyKey: 'b',
        expectedVersions: { o1: 0 },
      }),
    ).rejects.toMatchObject({
      code: 'APPEND_VERSION_CONFLICT',
      details: { status: 409, expected: 0, actual: 1 },
    });
    const ok = await appendEvents(log, orders, [order('o1', 2)], {
      idempotencyKey: 'c',
      expectedVersions: { o1: 1 },
    });
    expect(ok.duplicate).toBe(false);
    // A retry of an append that succeeded is answered from the log, not re-checked.
    const retry = await appendEvents(log, orders, [order('o1')], {
      idempotencyKey: 'a',
      expectedVersions: { o1: 0 },
    });
    expect(retry.duplicate).toBe(true);
  });

  it('remembers request ids and versions across a restart (rebuilt from the log)', async () => {
    const first = await appendEvents(log, orders, [order('o1'), order('o9')], {
      idempotencyKey: 'r1',
    });
    await log.close();
    log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0 });
    const appender = new EventAppender(log);
    const again = await appender.append(orders, [order('o1'), order('o9')], {
      idempotencyKey: 'r1',
    });
    expect(again).toEqual({ ...first, duplicate: true });
    await expect(
      appender.append(orders, [order('o1')], { idempotencyKey: 'r2', expectedVersions: { o1: 0 } }),
    ).rejects.toMatchObject({ code: 'APPEND_VERSION_CONFLICT' });
  });

  // Planted bug, seen failing: with the dedupe lookup disabled (`index.request()` returning
  // undefined) this storm appended 1000 requests' records instead of 100.
  it('retry storm: 1,000 concurrent appends of 100 requests land once each', async () => {
    const tries = Array.from({ length: 1000 }, (_, i) => i % 100).sort(() => Math.random() - 0.5);
    const results = await Promise.all(
      tries.map((n) => appendEvents(log, orders, [order(`o${n}`)], { idempotencyKey: `req-${n}` })),
    );
    const records = await all(log, 'orders', 4);
    expect(records).toHaveLength(100);
    const byKey = new Map<string, string>();
    for (const [i, r] of results.entries()) {
      const n = tries[i]!;
      const prev = byKey.get(`${n}`);
      if (prev !== undefined) expect(r.token).toBe(prev);
      byKey.set(`${n}`, r.token);
    }
    expect(new Set(records.map((r) => fromUtf8(r.key!))).size).toBe(100);
  });
});
