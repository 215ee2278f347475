import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { HEADERS } from '../../core/index.ts';
import { openEmbeddedLog } from '../../log/index.ts';
import {
  balancesAt,
  expectedBalances,
  readLedger,
  requestEnds,
} from '../test-support/transfer-oracle.ts';
import { defineTransfers, type TransferRequest } from './transfer-def.ts';

const CHILD = fileURLToPath(new URL('./transfers-child.ts', import.meta.url));
const KILLS = Number(process.env.UNBUNDLED_FAULT_ITERATIONS ?? 5);
const TRANSFERS = 300;
const bank = defineTransfers({ name: 'bank', requestPartitions: 4, ledgerPartitions: 4 });

function startChild(dir: string, acked: Set<string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      if (line.startsWith('ok ')) acked.add(line.slice(3));
    });
  });
  const drained = new Promise<void>((resolve) =>
    lines.on('line', (l) => l === 'drained' && resolve()),
  );
  return { child, ready, drained };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );

// Planted bug, seen failing: with Balances applying every record (no dedupe by request id + leg),
// a cut summed to -55: a kill between the debit's and the credit's partition appends made the
// restarted splitter re-emit both legs, so one debit counted twice.
it(
  `transfers with the splitter process SIGKILLed ${KILLS} times: balances hold at every cut`,
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ub-integrity-transfers-fault-'));
    const accounts = Array.from({ length: 10 }, (_, i) => `acct-${i}`);
    const transfers: TransferRequest[] = Array.from({ length: TRANSFERS }, (_, i) => {
      const from = accounts[i % 10]!;
      const to = accounts[(i * 7 + 3) % 10]!; // 6i + 3 is odd: never i % 10
      return { requestId: `t-${i}`, from, to, amount: 1 + (i % 97) };
    });
    const acked = new Set<string>();
    const line = (t: TransferRequest) => `${t.requestId} ${t.from} ${t.to} ${t.amount}\n`;
    try {
      for (let round = 0; round <= KILLS; round++) {
        const c = startChild(dir, acked);
        await c.ready;
        const released = transfers.slice(0, Math.ceil(((round + 1) * TRANSFERS) / (KILLS + 1)));
        const retries = released.filter((t) => acked.has(t.requestId)).slice(-30);
        c.child.stdin!.write(
          [...released.filter((t) => !acked.has(t.requestId)), ...retries].map(line).join(''),
        );
        if (round < KILLS) {
          await new Promise((r) => setTimeout(r, Math.random() * 300));
          c.child.kill('SIGKILL');
        } else {
          c.child.stdin!.end();
          await c.drained;
        }
        await exited(c.child);
      }
      expect(acked.size).toBe(TRANSFERS);
      const log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0 });
      try {
        const ends = await requestEnds(log, bank);
        expect(ends.reduce((a, b) => a + b, 0)).toBe(TRANSFERS); // each request logged once
        const ledger = await readLedger(log, bank);
        expect(new Set(ledger.map((r) => r.headers[HEADERS.requestId])).size).toBe(TRANSFERS);
        for (let k = 0; k < 200; k++) {
          const cut = ends.map((e) => Math.floor(Math.random() * (e + 1)));
          expect(balancesAt(ledger, cut).total()).toBe(0);
        }
        expect(balancesAt(ledger, ends).snapshot()).toEqual(expectedBalances(transfers));
      } finally {
        await log.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
  60_000 + KILLS * 5_000,
);
