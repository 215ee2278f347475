import { UnbundledError } from '../core/errors.ts';
import { decodeCanonical, encodeCanonical } from './canonical.ts';
import type { DeadLetter } from './dead-letter.ts';
import type { Operator } from './operator.ts';
import { InputStream, Stream } from './stream.ts';

const SNAPSHOT_VERSION = 1;

/**
 * A dataflow graph: inputs, operators, outputs. Build it (`newInput`, `pipe`), `finalize()`,
 * then repeatedly `input.send(batch)` + `run()`. Synchronous and deterministic: the same input
 * batches give the same output batches.
 *
 * @example
 * const g = new DataflowGraph();
 * const input = g.newInput<{ cat: string; n: number }>();
 * const out = input.pipe(groupBy((r) => r.cat, { total: sum((r) => r.n) })).collect();
 * g.finalize();
 * input.send([[{ cat: 'a', n: 2 }, 1]]);
 * g.run();
 * out.drain(); // [[['a', { key: 'a', total: 2 }], 1]]
 */
export class DataflowGraph {
  #operators: Operator<unknown>[] = [];
  #finalized = false;
  #deadLetters: DeadLetter[] = [];
  #position: unknown = undefined;

  /** A new input stream. Only while building. */
  newInput<T>(): InputStream<T> {
    this.assertBuilding();
    return new InputStream<T>(this);
  }

  /**
   * A stream operators can write to besides their main output, e.g. late records of a window.
   * Only while building.
   */
  newSideStream<T>(): Stream<T> {
    this.assertBuilding();
    return new Stream<T>(this);
  }

  /** Freeze the graph: no more operators; inputs may now be sent. */
  finalize(): void {
    this.assertBuilding();
    this.#finalized = true;
  }

  /** Labels of the operators in build (topological) order, for plans and dashboards. */
  operatorLabels(): string[] {
    return this.#operators.map((op) => op.label);
  }

  /** True when some operator has unread input. */
  hasPendingWork(): boolean {
    for (const op of this.#operators) if (op.hasPendingWork()) return true;
    return false;
  }

  /**
   * Process until no work is pending. Operators run in build order, which is topological, so
   * one pass usually suffices.
   */
  run(): void {
    this.assertFinalized();
    const ops = this.#operators;
    let more = true;
    while (more) {
      more = false;
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        if (op.hasPendingWork()) {
          op.run();
          more = true;
        }
      }
    }
  }

  /** Take the dead letters collected since the last call (oldest first). */
  deadLetters(): DeadLetter[] {
    const out = this.#deadLetters;
    this.#deadLetters = [];
    return out;
  }

  /**
   * State of every stateful operator as deterministic bytes (same state → same bytes). Take it
   * after `run()`, together with the position the graph has consumed up to.
   */
  snapshot(): Uint8Array {
    this.assertIdle('snapshot');
    const ops = this.#operators.filter((op) => op.stateful).map((op) => [op.label, op.snapshot()]);
    return new TextEncoder().encode(encodeCanonical({ v: SNAPSHOT_VERSION, ops }));
  }

  /** Load bytes from `snapshot()` of a graph built by the same definition. */
  restore(bytes: Uint8Array): void {
    this.assertIdle('restore');
    const data = decodeCanonical(new TextDecoder().decode(bytes)) as {
      v?: unknown;
      ops?: [string, unknown][];
    };
    const stateful = this.#operators.filter((op) => op.stateful);
    const labels = stateful.map((op) => op.label);
    const saved = (data.ops ?? []).map(([label]) => label);
    if (data.v !== SNAPSHOT_VERSION || encodeCanonical(labels) !== encodeCanonical(saved)) {
      throw new UnbundledError(
        'DATAFLOW_SNAPSHOT_MISMATCH',
        `the snapshot was taken from a different graph (operators ${saved.join(', ')}; this graph ` +
          `has ${labels.join(', ')}); the view definition changed — rebuild the view from the log`,
      );
    }
    for (let i = 0; i < stateful.length; i++) stateful[i]!.restore(data.ops![i]![1]);
  }

  /** @internal */
  register(op: Operator<unknown>): number {
    this.assertBuilding();
    this.#operators.push(op);
    return this.#operators.length - 1;
  }

  /** @internal */
  deadLetter(operator: string, row: unknown, diff: number, error: unknown): void {
    const letter: DeadLetter =
      this.#position === undefined
        ? { row, diff, error, operator }
        : { row, diff, error, operator, position: this.#position };
    this.#deadLetters.push(letter);
  }

  /** @internal */
  setPosition(position: unknown): void {
    this.#position = position;
  }

  /** @internal */
  assertBuilding(): void {
    if (this.#finalized) {
      throw new UnbundledError(
        'DATAFLOW_FINALIZED',
        'the graph is finalized; build every input and operator before calling finalize()',
      );
    }
  }

  /** @internal */
  assertFinalized(): void {
    if (!this.#finalized) {
      throw new UnbundledError(
        'DATAFLOW_NOT_FINALIZED',
        'the graph is still being built; call finalize() before sending input or running it',
      );
    }
  }

  /** @internal */
  assertSame(other: DataflowGraph): void {
    if (other !== this) {
      throw new UnbundledError(
        'DATAFLOW_GRAPH_MISMATCH',
        'an operator joins streams of two different graphs; build both inputs from one graph',
      );
    }
  }

  assertIdle(what: string): void {
    if (this.hasPendingWork()) {
      throw new UnbundledError(
        'DATAFLOW_BUSY',
        `cannot ${what} while input is pending; call run() first so state matches the position`,
      );
    }
  }
}
