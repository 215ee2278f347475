import { fromUtf8, HEADERS, type LogRecord, type RecordInput, utf8 } from '../../core/index.ts';
import { type Log, partitionForKey } from '../../log/index.ts';
import { INTEGRITY_HEADERS } from '../events/integrity-headers.ts';
import { planCompensation, type SagaDef, type StepOutcome } from './saga-def.ts';

/**
 * Record a step outcome of request `requestId` (appended to the partition of the request id).
 * Record each outcome once per step: the header (request id, `outcome:<step>`) lets views
 * drop a retried one.
 */
export async function recordStepOutcome(
  log: Log,
  saga: SagaDef,
  outcome: StepOutcome,
): Promise<void> {
  await log.ensureTopic(saga.outcomesTopic, { partitions: saga.partitions });
  const partition = partitionForKey(utf8(outcome.requestId), saga.partitions);
  await log.append(saga.outcomesTopic, partition, [
    {
      key: utf8(outcome.requestId),
      value: utf8(JSON.stringify(outcome)),
      headers: {
        [HEADERS.requestId]: outcome.requestId,
        [INTEGRITY_HEADERS.requestSeq]: `outcome:${outcome.step}`,
      },
    },
  ]);
}

/**
 * Watches one partition of a saga's outcomes; when a step fails, appends the declared
 * compensations of the steps the request completed before it (reverse order), each tagged
 * (request id, `compensate:<step>`) so a re-emission after a crash is dropped by views. State
 * (steps completed per request) is rebuilt by replaying the partition from the start.
 */
export class SagaRunner {
  readonly #log: Log;
  readonly #saga: SagaDef;
  readonly #partition: number;
  readonly #completed = new Map<string, Set<string>>();
  readonly #compensated = new Set<string>();

  constructor(log: Log, saga: SagaDef, partition: number) {
    this.#log = log;
    this.#saga = saga;
    this.#partition = partition;
  }

  async run(signal: AbortSignal): Promise<void> {
    const topic = this.#saga.outcomesTopic;
    const from = (await this.#log.fetchOffsets(this.#saga.group, topic))[this.#partition] ?? 0;
    for await (const batch of this.#log.read(topic, this.#partition, 0, { signal })) {
      if (signal.aborted) return;
      const out = this.#step(batch, from);
      for (const { topic: t, record } of out) {
        const { partitions } = (await this.#log.describeTopic(t)).config;
        await this.#log.append(t, partitionForKey(record.key, partitions), [record]);
      }
      const next = (batch.at(-1)?.offset ?? -1) + 1;
      if (next > from)
        await this.#log.commitOffsets(this.#saga.group, topic, { [this.#partition]: next });
    }
  }

  /** Fold outcomes; emit compensations only for records at or past `from` (not yet handled). */
  #step(batch: readonly LogRecord[], from: number): { topic: string; record: RecordInput }[] {
    const out: { topic: string; record: RecordInput }[] = [];
    for (const r of batch) {
      if (r.value === null) continue;
      const o = JSON.parse(fromUtf8(r.value)) as StepOutcome;
      const done = this.#completed.get(o.requestId) ?? new Set<string>();
      this.#completed.set(o.requestId, done);
      if (o.status === 'done') done.add(o.step);
      if (o.status !== 'failed' || this.#compensated.has(o.requestId)) continue;
      this.#compensated.add(o.requestId);
      if (r.offset < from) continue;
      for (const c of planCompensation(this.#saga, done, o)) {
        c.events.forEach((e, i) => {
          out.push({
            topic: e.topic,
            record: compensationRecord(o.requestId, `${c.step}:${i}`, e),
          });
        });
      }
    }
    return out;
  }
}

function compensationRecord(
  requestId: string,
  step: string,
  e: { key: string; value: unknown },
): RecordInput {
  return {
    key: utf8(e.key),
    value: utf8(JSON.stringify(e.value)),
    headers: {
      [HEADERS.requestId]: requestId,
      [INTEGRITY_HEADERS.requestSeq]: `compensate:${step}`,
      [HEADERS.contentType]: 'json',
    },
  };
}

/** Run a saga runner per outcomes partition until `signal` aborts. */
export async function runSagaRunners(log: Log, saga: SagaDef, signal: AbortSignal): Promise<void> {
  await log.ensureTopic(saga.outcomesTopic, { partitions: saga.partitions });
  const all = Array.from({ length: saga.partitions }, (_, p) =>
    new SagaRunner(log, saga, p).run(signal),
  );
  await Promise.all(all);
}
