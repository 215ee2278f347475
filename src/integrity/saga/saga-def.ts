/** An event a compensation appends: to `topic`, partitioned by `key`. */
export interface CompensationEvent {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
}

/** One step of a saga and the action that undoes it. */
export interface SagaStep {
  readonly name: string;
  /** Events that undo this completed step after a later step failed (deterministic). */
  readonly compensate: (requestId: string, reason: string) => readonly CompensationEvent[];
}

/** A saga: steps in order; when one fails, every completed earlier step is compensated. */
export interface SagaDef {
  readonly name: string;
  readonly steps: readonly SagaStep[];
  /** Topic of step outcomes, partitioned by request id. */
  readonly outcomesTopic: string;
  readonly partitions: number;
  readonly group: string;
}

/** A step outcome as recorded in the outcomes topic. */
export interface StepOutcome {
  readonly requestId: string;
  readonly step: string;
  readonly status: 'done' | 'failed';
  readonly reason?: string;
}

/**
 * Declare a saga (frozen).
 *
 * @example
 * const checkout = defineSaga({ name: 'checkout', steps: [
 *   { name: 'accept-order', compensate: (id, reason) => [{ topic: 'orders', key: id, value: { type: 'cancelled', reason } }] },
 *   { name: 'reserve-stock', compensate: () => [] },
 * ] });
 */
export function defineSaga(def: {
  name: string;
  steps: readonly SagaStep[];
  partitions?: number;
}): SagaDef {
  return Object.freeze({
    name: def.name,
    steps: Object.freeze([...def.steps]),
    outcomesTopic: `ub.saga.${def.name}.outcomes`,
    partitions: def.partitions ?? 4,
    group: `ub.saga.${def.name}`,
  });
}

/**
 * The compensations a request needs after `failed` failed, given the steps it completed:
 * completed steps before the failed one, in reverse order. Pure and deterministic.
 */
export function planCompensation(
  saga: SagaDef,
  completed: ReadonlySet<string>,
  failed: StepOutcome,
): { step: string; events: readonly CompensationEvent[] }[] {
  const at = saga.steps.findIndex((s) => s.name === failed.step);
  const done = saga.steps
    .slice(0, at < 0 ? saga.steps.length : at)
    .filter((s) => completed.has(s.name));
  return done.reverse().map((s) => ({
    step: s.name,
    events: s.compensate(failed.requestId, failed.reason ?? `step ${failed.step} failed`),
  }));
}
