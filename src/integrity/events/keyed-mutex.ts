/** Serializes async sections per key (FIFO). Entries are dropped when idle. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Run `fn` after every earlier holder of all `keys` (taken in sorted order: no deadlock). */
  async with<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: (() => void)[] = [];
    for (const key of sorted) releases.push(await this.#acquire(key));
    try {
      return await fn();
    } finally {
      for (const release of releases) release();
    }
  }

  async #acquire(key: string): Promise<() => void> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => {
      release = r;
    });
    const tail = prev.then(() => mine);
    this.#tails.set(key, tail);
    await prev;
    return () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }
}
