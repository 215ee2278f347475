import { fromUtf8 } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import type { Decision } from './unique-decide.ts';

/**
 * Tails one decisions partition from its end at start time and hands each decision to the
 * callers waiting for that claim id. A caller registers before appending its claim, so the
 * decision (or, for a repeated claim, its restatement) always comes after the watcher's start.
 */
export class DecisionWatcher {
  readonly #waiters = new Map<string, Set<(d: Decision) => void>>();
  readonly #abort = new AbortController();
  readonly #started: Promise<void>;
  #failure: unknown;

  constructor(log: Log, topic: string, partition: number) {
    this.#started = this.#start(log, topic, partition);
  }

  /** Resolves once the watcher tails the partition; register waiters before that resolves. */
  ready(): Promise<void> {
    return this.#started;
  }

  /** Wait for the decision of `claimId`; the returned cancel removes the waiter. */
  wait(claimId: string): { decision: Promise<Decision>; cancel(): void } {
    let resolve!: (d: Decision) => void;
    const decision = new Promise<Decision>((r) => {
      resolve = r;
    });
    const set = this.#waiters.get(claimId) ?? new Set();
    set.add(resolve);
    this.#waiters.set(claimId, set);
    const cancel = () => {
      set.delete(resolve);
      if (set.size === 0 && this.#waiters.get(claimId) === set) this.#waiters.delete(claimId);
    };
    return { decision, cancel };
  }

  get failure(): unknown {
    return this.#failure;
  }

  close(): void {
    this.#abort.abort();
  }

  async #start(log: Log, topic: string, partition: number): Promise<void> {
    const { end } = await log.offsets(topic, partition);
    const batches = log.read(topic, partition, end, { signal: this.#abort.signal });
    void this.#tail(batches);
  }

  async #tail(batches: AsyncIterable<readonly { value: Uint8Array | null }[]>): Promise<void> {
    try {
      for await (const batch of batches) {
        for (const r of batch)
          if (r.value !== null) this.#deliver(JSON.parse(fromUtf8(r.value)) as Decision);
      }
    } catch (err) {
      this.#failure = err;
    }
  }

  #deliver(d: Decision): void {
    const set = this.#waiters.get(d.claimId);
    if (set === undefined) return;
    this.#waiters.delete(d.claimId);
    for (const resolve of set) resolve(d);
  }
}
