import { BinaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';

/** Union of two streams (diffs add up). */
export class ConcatOperator<T> extends BinaryOperator<T, T, T> {
  constructor(left: Stream<T>, right: Stream<T>) {
    super(left, right, 'concat');
  }

  run(): void {
    for (const b of this.left.drain()) this.emit(b);
    for (const b of this.right.drain()) this.emit(b);
  }
}

/**
 * Merge another stream of the same graph into this one (bag union).
 *
 * @example paid.pipe(concat(refunded))
 */
export function concat<T>(other: Stream<T>): PipedOperator<T, T> {
  return (stream) => new ConcatOperator(stream, other).output;
}
