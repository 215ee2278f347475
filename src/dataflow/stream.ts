import type { DataflowGraph } from './graph.ts';
import type { Batch } from './types.ts';

/** A queue of batches one operator reads from one stream. Internal to operators. */
export class StreamReader<T> {
  #queue: Batch<T>[] = [];

  /** @internal Called by the writing stream. */
  push(batch: Batch<T>): void {
    this.#queue.push(batch);
  }

  /** True when batches are waiting. */
  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /** Take every waiting batch (oldest first). The batches are shared: never mutate them. */
  drain(): Batch<T>[] {
    const out = this.#queue;
    this.#queue = [];
    return out;
  }
}

/** A pipeable operator: takes a stream, returns the operator's output stream. */
export type PipedOperator<I, O> = (stream: Stream<I>) => Stream<O>;

/**
 * A collection changing over time, carried as batches of `[row, diff]`. Streams are created by
 * `graph.newInput()` and by operators; extend them with `pipe(...)`.
 *
 * @example
 * const out = input.pipe(filter((r) => r.ok), map((r) => r.id));
 */
export class Stream<T> {
  readonly graph: DataflowGraph;
  #readers: StreamReader<T>[] = [];

  constructor(graph: DataflowGraph) {
    this.graph = graph;
  }

  /** @internal Subscribe a new reader (operators call this when they are built). */
  reader(): StreamReader<T> {
    this.graph.assertBuilding();
    const r = new StreamReader<T>();
    this.#readers.push(r);
    return r;
  }

  /** @internal Deliver a batch to every reader. Empty batches are skipped. */
  write(batch: Batch<T>): void {
    if (batch.length === 0) return;
    for (const r of this.#readers) r.push(batch);
  }

  /** Apply operators left to right. */
  pipe(): Stream<T>;
  pipe<A>(o1: PipedOperator<T, A>): Stream<A>;
  pipe<A, B>(o1: PipedOperator<T, A>, o2: PipedOperator<A, B>): Stream<B>;
  pipe<A, B, C>(
    o1: PipedOperator<T, A>,
    o2: PipedOperator<A, B>,
    o3: PipedOperator<B, C>,
  ): Stream<C>;
  pipe<A, B, C, D>(
    o1: PipedOperator<T, A>,
    o2: PipedOperator<A, B>,
    o3: PipedOperator<B, C>,
    o4: PipedOperator<C, D>,
  ): Stream<D>;
  pipe<A, B, C, D, E>(
    o1: PipedOperator<T, A>,
    o2: PipedOperator<A, B>,
    o3: PipedOperator<B, C>,
    o4: PipedOperator<C, D>,
    o5: PipedOperator<D, E>,
  ): Stream<E>;
  pipe<A, B, C, D, E, F>(
    o1: PipedOperator<T, A>,
    o2: PipedOperator<A, B>,
    o3: PipedOperator<B, C>,
    o4: PipedOperator<C, D>,
    o5: PipedOperator<D, E>,
    o6: PipedOperator<E, F>,
  ): Stream<F>;
  pipe<A, B, C, D, E, F, G>(
    o1: PipedOperator<T, A>,
    o2: PipedOperator<A, B>,
    o3: PipedOperator<B, C>,
    o4: PipedOperator<C, D>,
    o5: PipedOperator<D, E>,
    o6: PipedOperator<E, F>,
    o7: PipedOperator<F, G>,
  ): Stream<G>;
  // biome-ignore lint/suspicious/noExplicitAny: variadic pipe; the overloads above are typed
  pipe(...ops: PipedOperator<any, any>[]): Stream<any>;
  // biome-ignore lint/suspicious/noExplicitAny: implementation of the typed overloads
  pipe(...ops: PipedOperator<any, any>[]): Stream<any> {
    // biome-ignore lint/suspicious/noExplicitAny: see above
    let s: Stream<any> = this;
    for (const op of ops) s = op(s);
    return s;
  }
}

/**
 * The entry point of a graph: push batches with `send`, then `graph.run()`.
 *
 * @example
 * const input = g.newInput<{ id: number }>();
 * input.send([[{ id: 1 }, 1]], { 'orders/0': 1 });
 */
export class InputStream<T> extends Stream<T> {
  /**
   * Queue a batch. `position` (optional) is the log position this batch came from; dead letters
   * raised while it is processed carry the position of the latest `send` before `run()`.
   */
  send(batch: Batch<T>, position?: unknown): void {
    this.graph.assertFinalized();
    if (position !== undefined) this.graph.setPosition(position);
    this.write(batch);
  }
}
