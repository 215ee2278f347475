import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EmbeddedLog, openEmbeddedLog } from '../../log/index.ts';
import { EventAppender } from '../events/event-appender.ts';
import { balancesAt, expectedBalances, readLedger } from '../test-support/transfer-oracle.ts';
import { requestTransfer } from './request-transfer.ts';
import { defineTransfers, type TransferRequest } from './transfer-def.ts';
import { runTransferSplitters } from './transfer-splitter.ts';

const bank = defineTransfers({ name: 'bank', requestPartitions: 4, ledgerPartitions: 4 });

describe('transfers without 2PC (embedded log)', () => {
  let dir: string;
  let log: EmbeddedLog;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ub-integrity-transfers-'));
    log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0 });
  });
  afterEach(async () => {
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects an invalid transfer with field paths', async () => {
    const appender = new EventAppender(log);
    const bad = { requestId: 'r', from: 'a', to: 'a', amount: 1.5 };
    await expect(requestTransfer(appender, bank, bad)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { issues: [{ path: 'amount' }] },
    });
  });

  // Planted bug, seen failing: with `Balances.apply` skipping the dedupe check, the per-account
  // balances no longer matched the oracle (re-emitted legs applied twice) while the total stayed 0
  // — which is why the test checks every account, not only the sum.
  it('retried requests and splitter crashes (offset rewinds): every view position balances', async () => {
    const appender = new EventAppender(log);
    const accounts = Array.from({ length: 20 }, (_, i) => `acct-${i}`);
    const pick = () => accounts[Math.floor(Math.random() * accounts.length)]!;
    const transfers: TransferRequest[] = [];
    for (let i = 0; i < 400; i++) {
      const from = pick();
      let to = pick();
      while (to === from) to = pick();
      transfers.push({
        requestId: `t-${i}`,
        from,
        to,
        amount: 1 + Math.floor(Math.random() * 100),
      });
    }
    let stop = new AbortController();
    let running = runTransferSplitters(log, bank, stop.signal);
    const requests = transfers.flatMap((t) => [t, t, t]).sort(() => Math.random() - 0.5);
    for (let i = 0; i < requests.length; i += 100) {
      await Promise.all(requests.slice(i, i + 100).map((t) => requestTransfer(appender, bank, t)));
      // A splitter "crash" between emitting legs and committing: rewind and restart it.
      stop.abort();
      await running;
      const committed = await log.fetchOffsets(bank.group, bank.requests.name);
      const rewound = Object.fromEntries(
        Object.entries(committed).map(([p, o]) => [p, Math.max(0, o - 20)]),
      );
      await log.commitOffsets(bank.group, bank.requests.name, rewound);
      stop = new AbortController();
      running = runTransferSplitters(log, bank, stop.signal);
    }
    const ends = await Promise.all(
      Array.from(
        { length: bank.requests.partitions },
        async (_, p) => (await log.offsets(bank.requests.name, p)).end,
      ),
    );
    expect(ends.reduce((a, b) => a + b, 0)).toBe(transfers.length); // each request logged once
    for (;;) {
      const c = await log.fetchOffsets(bank.group, bank.requests.name);
      if (ends.every((e, p) => (c[p] ?? 0) >= e)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort();
    await running;

    const records = await readLedger(log, bank);
    expect(records.length).toBeGreaterThan(2 * transfers.length); // re-emitted legs are there
    for (let k = 0; k < 200; k++) {
      const cut = ends.map((e) => Math.floor(Math.random() * (e + 1)));
      expect(balancesAt(records, cut).total()).toBe(0);
    }
    const final = balancesAt(records, ends);
    expect(final.snapshot()).toEqual(expectedBalances(transfers));
  });
});
