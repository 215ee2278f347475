import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch } from '../types.ts';

/** Keeps rows for which `predicate` is true. A throwing row goes to the dead letters. */
export class FilterOperator<T> extends UnaryOperator<T, T> {
  readonly #predicate: (row: T) => boolean;

  constructor(input: Stream<T>, predicate: (row: T) => boolean) {
    super(input, 'filter');
    this.#predicate = predicate;
  }

  run(): void {
    const p = this.#predicate;
    for (const batch of this.input.drain()) {
      const out: Batch<T> = [];
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i]!;
        try {
          if (p(e[0])) out.push(e);
        } catch (error) {
          this.fail(e[0], e[1], error);
        }
      }
      this.emit(out.length === batch.length ? batch : out);
    }
  }
}

/**
 * Keep rows matching a pure predicate (also applied to retractions, so deletes pass through
 * exactly when the inserted row did).
 *
 * @example input.pipe(filter((o) => o.status === 'paid'))
 */
export function filter<T, S extends T = T>(
  predicate: ((row: T) => row is S) | ((row: T) => boolean),
): PipedOperator<T, S> {
  return (stream) => new FilterOperator(stream, predicate).output as Stream<S>;
}
