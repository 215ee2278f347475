import { fromUtf8, HEADERS, type LogRecord, type RecordInput, utf8 } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';
import type { UniqueConstraint } from './unique-constraint.ts';
import { type Claim, type Decision, UniqueState } from './unique-decide.ts';

/**
 * The decider of one partition of a unique constraint. On start it rebuilds its state from the
 * decisions partition (the truth) and resumes after the later of its committed group offset and
 * the last claim it answered, so no claim is decided twice even if it crashed between appending
 * decisions and committing the offset. Decisions of one read batch are appended as one atomic
 * batch, then the offset is committed.
 */
export class UniqueProcessor {
  readonly #log: Log;
  readonly #c: UniqueConstraint;
  readonly #partition: number;

  constructor(log: Log, constraint: UniqueConstraint, partition: number) {
    this.#log = log;
    this.#c = constraint;
    this.#partition = partition;
  }

  /** Decide until `signal` aborts. The topics must exist (`ensureUniqueTopics`). */
  async run(signal: AbortSignal): Promise<void> {
    const state = await this.#rebuild();
    const committed = (await this.#log.fetchOffsets(this.#c.group, this.#c.claimsTopic))[
      this.#partition
    ];
    const from = Math.max(committed ?? 0, state.lastClaimOffset + 1);
    const claims = this.#log.read(this.#c.claimsTopic, this.#partition, from, { signal });
    for await (const batch of claims) {
      if (signal.aborted) return;
      await this.#decideBatch(state, batch);
    }
  }

  async #rebuild(): Promise<UniqueState> {
    const state = new UniqueState();
    const batches = this.#log.read(this.#c.decisionsTopic, this.#partition, 0, { follow: false });
    for await (const batch of batches) {
      for (const r of batch)
        if (r.value !== null) state.restore(JSON.parse(fromUtf8(r.value)) as Decision);
    }
    return state;
  }

  async #decideBatch(state: UniqueState, batch: readonly LogRecord[]): Promise<void> {
    const out: RecordInput[] = [];
    for (const r of batch) {
      if (r.value === null || r.offset <= state.lastClaimOffset) continue;
      const d = state.decide(JSON.parse(fromUtf8(r.value)) as Claim, r.offset);
      out.push({
        key: utf8(d.value),
        value: utf8(JSON.stringify(d)),
        headers: { [HEADERS.requestId]: d.claimId },
      });
    }
    if (out.length > 0) await this.#log.append(this.#c.decisionsTopic, this.#partition, out);
    const next = (batch.at(-1)?.offset ?? -1) + 1;
    await this.#log.commitOffsets(this.#c.group, this.#c.claimsTopic, { [this.#partition]: next });
  }
}

/** Create the claims and decisions topics if missing. */
export async function ensureUniqueTopics(log: Log, c: UniqueConstraint): Promise<void> {
  await log.ensureTopic(c.claimsTopic, { partitions: c.partitions });
  await log.ensureTopic(c.decisionsTopic, { partitions: c.partitions });
}

/**
 * Run the deciders of every partition until `signal` aborts (in one process; a cluster leases
 * partitions to workers and runs one `UniqueProcessor` per lease).
 */
export async function runUniqueProcessors(
  log: Log,
  constraint: UniqueConstraint,
  signal: AbortSignal,
): Promise<void> {
  await ensureUniqueTopics(log, constraint);
  const all = Array.from({ length: constraint.partitions }, (_, p) =>
    new UniqueProcessor(log, constraint, p).run(signal),
  );
  await Promise.all(all);
}
