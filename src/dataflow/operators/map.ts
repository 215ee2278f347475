import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch } from '../types.ts';

/** Applies `fn` to each row, keeping its diff. A throwing row goes to the dead letters. */
export class MapOperator<I, O> extends UnaryOperator<I, O> {
  readonly #fn: (row: I) => O;

  constructor(input: Stream<I>, fn: (row: I) => O, name = 'map') {
    super(input, name);
    this.#fn = fn;
  }

  run(): void {
    const fn = this.#fn;
    for (const batch of this.input.drain()) {
      const out: Batch<O> = new Array(batch.length);
      let n = 0;
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        try {
          out[n++] = [fn(e[0]), e[1]];
        } catch (error) {
          n--;
          this.fail(e[0], e[1], error);
        }
      }
      out.length = n;
      this.emit(out);
    }
  }
}

/**
 * Transform each row. `fn` must be pure (deterministic, no side effects): retractions are
 * mapped by calling it again on the retracted row.
 *
 * @example input.pipe(map((o) => ({ id: o.id, total: o.qty * o.price })))
 */
export function map<I, O>(fn: (row: I) => O): PipedOperator<I, O> {
  return (stream) => new MapOperator(stream, fn).output;
}
