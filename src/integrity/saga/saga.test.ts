import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fromUtf8, type LogRecord } from '../../core/index.ts';
import { type EmbeddedLog, openEmbeddedLog } from '../../log/index.ts';
import { dedupeByRequestId, RequestDeduper } from '../dedupe/request-deduper.ts';
import { defineSaga, planCompensation } from './saga-def.ts';
import { recordStepOutcome, runSagaRunners } from './saga-runner.ts';

const checkout = defineSaga({
  name: 'checkout',
  partitions: 2,
  steps: [
    {
      name: 'accept-order',
      compensate: (id, reason) => [
        { topic: 'orders', key: id, value: { orderId: id, type: 'cancelled', reason } },
      ],
    },
    {
      name: 'charge-card',
      compensate: (id) => [{ topic: 'payments', key: id, value: { orderId: id, type: 'refund' } }],
    },
    { name: 'reserve-stock', compensate: () => [] },
  ],
});

describe('sagas: a failed step triggers the declared compensations', () => {
  it('plans compensations of completed earlier steps in reverse order', () => {
    const plan = planCompensation(checkout, new Set(['accept-order', 'charge-card']), {
      requestId: 'o1',
      step: 'reserve-stock',
      status: 'failed',
      reason: 'out of stock',
    });
    expect(plan.map((p) => p.step)).toEqual(['charge-card', 'accept-order']);
    expect(plan[1]?.events[0]?.value).toEqual({
      orderId: 'o1',
      type: 'cancelled',
      reason: 'out of stock',
    });
  });

  let dir: string;
  let log: EmbeddedLog;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ub-integrity-saga-'));
    log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0 });
    await log.ensureTopic('orders', { partitions: 2 });
    await log.ensureTopic('payments', { partitions: 2 });
  });
  afterEach(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function read(topic: string): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    for (let p = 0; p < 2; p++)
      for await (const b of log.read(topic, p, 0, { follow: false })) out.push(...b);
    return out;
  }

  // Planted bug, seen failing: with RequestDeduper.isDuplicate always false, the re-emitted
  // cancellation of o1 reached the orders view twice.
  it('an order accepted optimistically is cancelled with a reason when stock runs out (once, across restarts)', async () => {
    let stop = new AbortController();
    let running = runSagaRunners(log, checkout, stop.signal);
    for (const id of ['o1', 'o2', 'o3']) {
      await recordStepOutcome(log, checkout, {
        requestId: id,
        step: 'accept-order',
        status: 'done',
      });
      await recordStepOutcome(log, checkout, {
        requestId: id,
        step: 'charge-card',
        status: 'done',
      });
    }
    await recordStepOutcome(log, checkout, {
      requestId: 'o2',
      step: 'reserve-stock',
      status: 'done',
    });
    await recordStepOutcome(log, checkout, {
      requestId: 'o1',
      step: 'reserve-stock',
      status: 'failed',
      reason: 'out of stock',
    });
    // A restart that forgot its committed offset re-emits: the views' dedupe drops the repeats.
    await new Promise((r) => setTimeout(r, 200));
    stop.abort();
    await running;
    await log.commitOffsets(checkout.group, checkout.outcomesTopic, { 0: 0, 1: 0 });
    stop = new AbortController();
    running = runSagaRunners(log, checkout, stop.signal);
    await recordStepOutcome(log, checkout, {
      requestId: 'o3',
      step: 'charge-card',
      status: 'failed',
      reason: 'declined',
    });
    // Wait for all three compensations (o1's may arrive twice: the rewound runner re-emits them).
    const distinct = async (topic: string) =>
      new Set((await read(topic)).map((r) => fromUtf8(r.value!))).size;
    while ((await distinct('orders')) < 2 || (await distinct('payments')) < 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort();
    await running;
    const dedupe = new RequestDeduper();
    const orders = dedupeByRequestId(await read('orders'), dedupe).map((r) =>
      JSON.parse(fromUtf8(r.value!)),
    );
    const payments = dedupeByRequestId(await read('payments'), dedupe).map((r) =>
      JSON.parse(fromUtf8(r.value!)),
    );
    expect(orders.sort((a, b) => (a.orderId < b.orderId ? -1 : 1))).toEqual([
      { orderId: 'o1', type: 'cancelled', reason: 'out of stock' },
      { orderId: 'o3', type: 'cancelled', reason: 'declined' },
    ]);
    expect(payments).toEqual([{ orderId: 'o1', type: 'refund' }]);
  });
});
