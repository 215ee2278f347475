import type { DataflowGraph } from './graph.ts';
import { Stream, type StreamReader } from './stream.ts';
import type { Batch } from './types.ts';

/**
 * Base of every operator: one output stream, an id from the graph, dead-letter reporting.
 * `run()` consumes all pending input; the graph calls it while `hasPendingWork()`.
 */
export abstract class Operator<O> {
  readonly id: number;
  readonly name: string;
  readonly graph: DataflowGraph;
  readonly output: Stream<O>;

  constructor(graph: DataflowGraph, name: string) {
    this.graph = graph;
    this.name = name;
    this.output = new Stream<O>(graph);
    this.id = graph.register(this);
  }

  /** `name#id`: stable across runs of the same graph definition. */
  get label(): string {
    return `${this.name}#${this.id}`;
  }

  abstract hasPendingWork(): boolean;
  abstract run(): void;

  /** Serializable state (plain data, deterministic order), or undefined if stateless. */
  snapshot(): unknown {
    return undefined;
  }

  /** Load state written by `snapshot()`. */
  restore(_state: unknown): void {}

  /** Whether this operator keeps state worth checkpointing. */
  get stateful(): boolean {
    return false;
  }

  protected emit(batch: Batch<O>): void {
    this.output.write(batch);
  }

  /** Route a row whose user function threw to the graph's dead letters. */
  protected fail(row: unknown, diff: number, error: unknown): void {
    this.graph.deadLetter(this.label, row, diff, error);
  }
}

/** An operator with one input stream. */
export abstract class UnaryOperator<I, O> extends Operator<O> {
  protected readonly input: StreamReader<I>;

  constructor(input: Stream<I>, name: string) {
    super(input.graph, name);
    this.input = input.reader();
  }

  hasPendingWork(): boolean {
    return this.input.pending;
  }
}

/** An operator with two input streams (from the same graph). */
export abstract class BinaryOperator<A, B, O> extends Operator<O> {
  protected readonly left: StreamReader<A>;
  protected readonly right: StreamReader<B>;

  constructor(left: Stream<A>, right: Stream<B>, name: string) {
    super(left.graph, name);
    right.graph.assertSame(left.graph);
    this.left = left.reader();
    this.right = right.reader();
  }

  hasPendingWork(): boolean {
    return this.left.pending || this.right.pending;
  }
}
