import { UnbundledError } from '../../core/index.ts';
import type { EventStreamDef } from '../events/event-stream.ts';
import type { StandardSchemaV1 } from '../events/standard-schema.ts';

/** A transfer of `amount` (integer minor units) from one account to another. */
export interface TransferRequest {
  readonly requestId: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

/** One leg of a transfer on the ledger: the account's balance changes by `delta`. */
export interface LedgerEntry {
  readonly requestId: string;
  readonly account: string;
  readonly delta: number;
  readonly leg: 'debit' | 'credit';
}

/** Topics and groups of a transfer flow (Kleppmann's multi-partition transfer without 2PC). */
export interface TransfersDef {
  readonly name: string;
  /** Requests, partitioned by request id: each is logged once. */
  readonly requests: EventStreamDef<StandardSchemaV1<unknown, TransferRequest>>;
  /** Ledger entries, partitioned by account. */
  readonly ledgerTopic: string;
  readonly ledgerPartitions: number;
  /** Consumer group of the splitters. */
  readonly group: string;
}

/** Header carrying `partition:offset` of the request a ledger entry came from. */
export const SOURCE_OFFSET_HEADER = 'ub-source-offset';

/**
 * Declare a transfer flow (frozen).
 *
 * @example
 * const bank = defineTransfers({ name: 'bank', requestPartitions: 4, ledgerPartitions: 8 });
 */
export function defineTransfers(def: {
  name: string;
  requestPartitions?: number;
  ledgerPartitions?: number;
}): TransfersDef {
  return Object.freeze({
    name: def.name,
    requests: Object.freeze({
      name: `${def.name}.transfers`,
      partitions: def.requestPartitions ?? 4,
      schema: transferSchema,
      key: (t: TransferRequest) => t.requestId,
    }),
    ledgerTopic: `${def.name}.ledger`,
    ledgerPartitions: def.ledgerPartitions ?? 4,
    group: `ub.transfers.${def.name}`,
  });
}

const transferSchema: StandardSchemaV1<unknown, TransferRequest> = {
  '~standard': {
    version: 1,
    vendor: 'unbundled',
    validate(value) {
      const v = value as Partial<TransferRequest> | null;
      const issues: { message: string; path: string[] }[] = [];
      for (const f of ['requestId', 'from', 'to'] as const) {
        if (typeof v?.[f] !== 'string' || v[f] === '')
          issues.push({ message: 'a non-empty string', path: [f] });
      }
      if (!Number.isSafeInteger(v?.amount) || (v?.amount ?? 0) <= 0) {
        issues.push({ message: 'a positive integer', path: ['amount'] });
      }
      if (issues.length === 0 && v?.from === v?.to)
        issues.push({ message: 'differs from "from"', path: ['to'] });
      return issues.length > 0 ? { issues } : { value: v as TransferRequest };
    },
  },
};

/** Deterministic split of a request into its two legs (debit first). */
export function splitTransfer(t: TransferRequest): [LedgerEntry, LedgerEntry] {
  if (t.amount <= 0)
    throw new UnbundledError('TRANSFER_INVALID', `transfer ${t.requestId} has amount ${t.amount}`);
  return [
    { requestId: t.requestId, account: t.from, delta: -t.amount, leg: 'debit' },
    { requestId: t.requestId, account: t.to, delta: t.amount, leg: 'credit' },
  ];
}
