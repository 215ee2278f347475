import { KeyMap } from '../key-map.ts';
import { UnaryOperator } from '../operator.ts';
import type { PipedOperator, Stream } from '../stream.ts';
import type { Batch, Keyed } from '../types.ts';

/** Turns keyed upserts (`[key, value]`, `[key, null]` = delete) into a changelog of diffs. */
export class UpsertOperator<K, V> extends UnaryOperator<Keyed<K, V | null>, Keyed<K, V>> {
  readonly #table = new KeyMap<K, Keyed<K, V>>();

  constructor(input: Stream<Keyed<K, V | null>>) {
    super(input, 'upsert');
  }

  override get stateful(): boolean {
    return true;
  }

  run(): void {
    for (const batch of this.input.drain()) {
      const out: Batch<Keyed<K, V>> = [];
      for (let i = 0; i < batch.length; i++) {
        const [k, v] = batch[i]![0];
        const old = this.#table.get(k);
        if (old !== undefined) out.push([old, -1]);
        if (v === null) this.#table.delete(k);
        else {
          const next: Keyed<K, V> = [k, v];
          this.#table.set(k, next);
          out.push([next, 1]);
        }
      }
      this.emit(out);
    }
  }

  override snapshot(): unknown {
    return this.#table.sortedEntries().map(([, pair]) => pair);
  }

  override restore(state: unknown): void {
    this.#table.clear();
    for (const pair of state as Keyed<K, V>[]) this.#table.set(pair[0], pair);
  }
}

/**
 * Read a stream of keyed upserts — log records without before-images, e.g. event-sourced
 * entities or compacted topics, where a null value is a tombstone — as a table: each entry is a
 * command applied in order (its diff is ignored) and the output is the table's changelog
 * (`-old +new` per update, `-old` per delete). Use it for the table side of a stream–table join.
 *
 * @example users.pipe(map((r) => [r.key, r.value]), upsert(), join(...))
 */
export function upsert<K, V>(): PipedOperator<Keyed<K, V | null>, Keyed<K, V>> {
  return (stream) => new UpsertOperator(stream).output;
}
