import type { LogRecord } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import { Balances } from '../transfers/balances.ts';
import {
  SOURCE_OFFSET_HEADER,
  type TransferRequest,
  type TransfersDef,
} from '../transfers/transfer-def.ts';

/** Every ledger record of a transfer flow. */
export async function readLedger(log: Log, def: TransfersDef): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (let p = 0; p < def.ledgerPartitions; p++) {
    for await (const b of log.read(def.ledgerTopic, p, 0, { follow: false })) out.push(...b);
  }
  return out;
}

/** End offsets of the request partitions. */
export async function requestEnds(log: Log, def: TransfersDef): Promise<number[]> {
  const parts = Array.from({ length: def.requests.partitions }, (_, p) => p);
  return Promise.all(parts.map(async (p) => (await log.offsets(def.requests.name, p)).end));
}

/** The balance view at a consistent cut: ledger entries of requests below `cut` per request partition. */
export function balancesAt(records: readonly LogRecord[], cut: readonly number[]): Balances {
  const view = new Balances();
  for (const r of records) {
    const [p, o] = (r.headers[SOURCE_OFFSET_HEADER] ?? '').split(':').map(Number);
    if (o! < cut[p!]!) view.apply(r);
  }
  return view;
}

/** Balances the transfers must produce, computed directly. */
export function expectedBalances(transfers: readonly TransferRequest[]): Map<string, number> {
  const expected = new Map<string, number>();
  for (const t of transfers) {
    expected.set(t.from, (expected.get(t.from) ?? 0) - t.amount);
    expected.set(t.to, (expected.get(t.to) ?? 0) + t.amount);
  }
  return expected;
}
