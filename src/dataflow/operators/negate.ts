import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';

/** Flips the sign of every diff. */
export class NegateOperator<T> extends UnaryOperator<T, T> {
  constructor(input: Stream<T>) {
    super(input, 'negate');
  }

  run(): void {
    for (const batch of this.input.drain()) this.emit(batch.map(([r, d]) => [r, -d]));
  }
}

/**
 * Negate diffs: `a.pipe(concat(b.pipe(negate())))` is the bag difference a − b.
 *
 * @example removed.pipe(negate())
 */
export function negate<T>(): PipedOperator<T, T> {
  return (stream) => new NegateOperator(stream).output;
}
