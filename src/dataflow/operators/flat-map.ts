import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch } from '../types.ts';

/** Maps each row to zero or more rows, each with the input row's diff. */
export class FlatMapOperator<I, O> extends UnaryOperator<I, O> {
  readonly #fn: (row: I) => Iterable<O>;

  constructor(input: Stream<I>, fn: (row: I) => Iterable<O>) {
    super(input, 'flatMap');
    this.#fn = fn;
  }

  run(): void {
    const fn = this.#fn;
    for (const batch of this.input.drain()) {
      const out: Batch<O> = [];
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        try {
          const rows = fn(e[0]);
          const start = out.length;
          try {
            for (const r of rows) out.push([r, e[1]]);
          } catch (error) {
            out.length = start;
            throw error;
          }
        } catch (error) {
          this.fail(e[0], e[1], error);
        }
      }
      this.emit(out);
    }
  }
}

/**
 * Expand each row into any number of rows (e.g. order → its line items). `fn` must be pure.
 *
 * @example input.pipe(flatMap((o) => o.items.map((it) => ({ orderId: o.id, ...it }))))
 */
export function flatMap<I, O>(fn: (row: I) => Iterable<O>): PipedOperator<I, O> {
  return (stream) => new FlatMapOperator(stream, fn).output;
}
