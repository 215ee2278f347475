/**
 * A row an operator could not process (a user function threw). The graph collects them and
 * carries on; `graph.deadLetters()` drains them so the runtime can write them to a DLQ topic.
 */
export interface DeadLetter {
  /** The input row (for keyed streams, the `[key, value]` pair). */
  readonly row: unknown;
  /** Its multiplicity change: `+1` insert, `-1` retraction. */
  readonly diff: number;
  /** What the user function threw. */
  readonly error: unknown;
  /** The operator, as `name#id` (ids are assigned in build order, so stable across runs). */
  readonly operator: string;
  /** The position passed to the latest `input.send(batch, position)`, if any. */
  readonly position?: unknown;
}
