import { randomUUID } from 'node:crypto';
import { HEADERS, UnbundledError, utf8 } from '../../core/index.ts';
import { type Log, partitionForKey } from '../../log/index.ts';
import { DecisionWatcher } from './decision-watcher.ts';
import type { UniqueConstraint } from './unique-constraint.ts';
import type { Decision } from './unique-decide.ts';
import { ensureUniqueTopics } from './unique-processor.ts';

export interface ClaimOptions {
  /** Reuse the id when retrying a claim (same decision comes back). Default: a new UUID. */
  readonly claimId?: string;
  /** How long to wait for the decision. Default 5 s. */
  readonly timeoutMs?: number;
}

/** The answer to a claim. */
export interface ClaimResult {
  readonly accepted: boolean;
  readonly claimId: string;
  /** The claim id holding the value. */
  readonly holder: string;
}

/**
 * A synchronous API over an asynchronous log: `claim(value)` appends a claim and awaits the
 * partition decider's answer. One instance per process and constraint (it tails decisions).
 *
 * @example
 * const claims = new UniqueClaims(log, usernames);
 * const { accepted } = await claims.claim('alice', { claimId: requestId });
 */
export class UniqueClaims {
  readonly #log: Log;
  readonly #c: UniqueConstraint;
  readonly #watchers = new Map<number, DecisionWatcher>();
  #topics: Promise<void> | undefined;

  constructor(log: Log, constraint: UniqueConstraint) {
    this.#log = log;
    this.#c = constraint;
  }

  async claim(value: string, opts: ClaimOptions = {}): Promise<ClaimResult> {
    const claimId = opts.claimId ?? randomUUID();
    const partition = partitionForKey(utf8(value), this.#c.partitions);
    this.#topics ??= ensureUniqueTopics(this.#log, this.#c);
    await this.#topics;
    const watcher = this.#watcher(partition);
    const waiter = watcher.wait(claimId);
    try {
      await watcher.ready();
      const record = { key: utf8(value), value: utf8(JSON.stringify({ claimId, value })) };
      const headers = { [HEADERS.requestId]: claimId };
      await this.#log.append(this.#c.claimsTopic, partition, [{ ...record, headers }]);
      const d = await timeout(waiter.decision, opts.timeoutMs ?? 5000, this.#c.name, claimId);
      return { accepted: d.accepted, claimId, holder: d.holder };
    } finally {
      waiter.cancel();
    }
  }

  /** Stop tailing decisions. */
  close(): void {
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  #watcher(partition: number): DecisionWatcher {
    let w = this.#watchers.get(partition);
    if (w === undefined || w.failure !== undefined) {
      w = new DecisionWatcher(this.#log, this.#c.decisionsTopic, partition);
      this.#watchers.set(partition, w);
    }
    return w;
  }
}

async function timeout(p: Promise<Decision>, ms: number, name: string, claimId: string) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(decisionTimeout(name, claimId, ms)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

function decisionTimeout(name: string, claimId: string, ms: number): UnbundledError {
  return new UnbundledError(
    'CONSTRAINT_DECISION_TIMEOUT',
    `no decision for claim ${claimId} on unique constraint ${name} within ${ms} ms: is its ` +
      'processor running? The claim is logged and will be decided; retry with the same claimId ' +
      'to hear the decision',
    { retryable: true, details: { status: 504, claimId } },
  );
}
