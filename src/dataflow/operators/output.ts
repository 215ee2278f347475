import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch } from '../types.ts';

/** Calls a callback with every batch, and passes the batch on. */
export class OutputOperator<T> extends UnaryOperator<T, T> {
  readonly #fn: (batch: Batch<T>) => void;

  constructor(input: Stream<T>, fn: (batch: Batch<T>) => void) {
    super(input, 'output');
    this.#fn = fn;
  }

  run(): void {
    for (const batch of this.input.drain()) {
      this.#fn(batch);
      this.emit(batch);
    }
  }
}

/**
 * A sink: `fn` sees each output batch synchronously during `graph.run()`. Keep it cheap
 * (append to a buffer); write to stores after `run()` returns. Do not mutate the batch.
 *
 * @example out.pipe(output((batch) => pending.push(...batch)))
 */
export function output<T>(fn: (batch: Batch<T>) => void): PipedOperator<T, T> {
  return (stream) => new OutputOperator(stream, fn).output;
}

/** Buffers every batch a stream produces until `drain()`. Made by {@link collect}. */
export class Collector<T> {
  #entries: Batch<T> = [];

  /** @internal */
  add(batch: Batch<T>): void {
    for (let i = 0; i < batch.length; i++) this.#entries.push(batch[i]!);
  }

  /** Take the entries gathered since the last drain (in emission order, not consolidated). */
  drain(): Batch<T> {
    const out = this.#entries;
    this.#entries = [];
    return out;
  }
}

/**
 * Attach a collector to a stream: the simplest sink, for tests and for the runtime that drains
 * a view's changes after each `run()`.
 *
 * @example const out = collect(input.pipe(map((r) => r.id))); g.finalize(); ...; out.drain();
 */
export function collect<T>(stream: Stream<T>): Collector<T> {
  const c = new Collector<T>();
  new OutputOperator(stream, (b) => c.add(b));
  return c;
}
