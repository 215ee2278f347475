/**
 * Child process of transfers.fault.test.ts: owns the embedded log in argv[2], runs the
 * splitters of the `bank` flow and logs transfer requests read from stdin.
 *
 *   stdin:  <requestId> <from> <to> <amount>
 *   stdout: ready | ok <requestId> | drained
 *
 * Closing stdin: wait until the splitters have committed every request, print `drained`, exit.
 */
import { createInterface } from 'node:readline';
import { openEmbeddedLog } from '../../log/index.ts';
import { EventAppender } from '../events/event-appender.ts';
import { requestTransfer } from './request-transfer.ts';
import { defineTransfers } from './transfer-def.ts';
import { runTransferSplitters } from './transfer-splitter.ts';

const bank = defineTransfers({ name: 'bank', requestPartitions: 4, ledgerPartitions: 4 });
const log = await openEmbeddedLog({ dir: process.argv[2] as string, maintenanceIntervalMs: 0 });
const stop = new AbortController();
const running = runTransferSplitters(log, bank, stop.signal);
const appender = new EventAppender(log);
const say = (line: string) => process.stdout.write(`${line}\n`);
const pending: Promise<void>[] = [];
say('ready');

for await (const line of createInterface({ input: process.stdin })) {
  const [requestId, from, to, amount] = line.split(' ');
  if (requestId === undefined || from === undefined || to === undefined) continue;
  const t = { requestId, from, to, amount: Number(amount) };
  pending.push(
    requestTransfer(appender, bank, t).then(() => {
      say(`ok ${requestId}`);
    }),
  );
}
await Promise.all(pending);
for (;;) {
  const committed = await log.fetchOffsets(bank.group, bank.requests.name);
  const parts = Array.from({ length: bank.requests.partitions }, (_, p) => p);
  const ends = await Promise.all(
    parts.map(async (p) => (await log.offsets(bank.requests.name, p)).end),
  );
  if (ends.every((e, p) => (committed[p] ?? 0) >= e)) break;
  await new Promise((r) => setTimeout(r, 20));
}
stop.abort();
await running;
await log.close();
say('drained');
