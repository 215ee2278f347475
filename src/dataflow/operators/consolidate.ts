import { concatBatches, consolidateBatch } from '../multiset.ts';
import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';

/** Merges all batches pending at one step into one consolidated batch. */
export class ConsolidateOperator<T> extends UnaryOperator<T, T> {
  readonly #sorted: boolean;

  constructor(input: Stream<T>, sorted: boolean) {
    super(input, 'consolidate');
    this.#sorted = sorted;
  }

  run(): void {
    this.emit(consolidateBatch(concatBatches(this.input.drain()), this.#sorted));
  }
}

/**
 * Merge equal rows summing diffs and drop zero diffs, over everything pending in one `run()`
 * step. Put it before a sink so a view sees `-old +new` only when something really changed.
 * `{ sorted: true }` orders the output by canonical row encoding (byte-identical batches for
 * equal changes, at an O(n log n) cost).
 *
 * @example out.pipe(consolidate())
 */
export function consolidate<T>(options: { sorted?: boolean } = {}): PipedOperator<T, T> {
  return (stream) => new ConsolidateOperator(stream, options.sorted ?? false).output;
}
