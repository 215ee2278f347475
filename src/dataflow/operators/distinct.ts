import { encodeCanonical } from '../canonical.ts';
import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch } from '../types.ts';

/** Emits each row once while its multiplicity is positive (set semantics). */
export class DistinctOperator<T> extends UnaryOperator<T, T> {
  #counts = new Map<string, [T, number]>();

  constructor(input: Stream<T>) {
    super(input, 'distinct');
  }

  override get stateful(): boolean {
    return true;
  }

  run(): void {
    const before = new Map<string, number>();
    for (const batch of this.input.drain()) {
      for (let i = 0; i < batch.length; i++) {
        const [row, diff] = batch[i]!;
        let k: string;
        try {
          k = encodeCanonical(row);
        } catch (error) {
          this.fail(row, diff, error);
          continue;
        }
        const e = this.#counts.get(k);
        if (!before.has(k)) before.set(k, e?.[1] ?? 0);
        if (e === undefined) this.#counts.set(k, [row, diff]);
        else e[1] += diff;
      }
    }
    this.emit(this.#changes(before));
  }

  #changes(before: Map<string, number>): Batch<T> {
    const out: Batch<T> = [];
    for (const [k, was] of before) {
      const e = this.#counts.get(k)!;
      const now = e[1];
      if (was > 0 !== now > 0) out.push([e[0], now > 0 ? 1 : -1]);
      if (now === 0) this.#counts.delete(k);
    }
    return out;
  }

  override snapshot(): unknown {
    return [...this.#counts.keys()].sort().map((k) => this.#counts.get(k)!);
  }

  override restore(state: unknown): void {
    this.#counts = new Map();
    for (const [row, n] of state as [T, number][]) this.#counts.set(encodeCanonical(row), [row, n]);
  }
}

/**
 * Set semantics: each distinct row once, as long as its multiplicity is positive.
 *
 * @example orders.pipe(map((o) => o.userId), distinct()) // users who ordered
 */
export function distinct<T>(): PipedOperator<T, T> {
  return (stream) => new DistinctOperator(stream).output;
}
