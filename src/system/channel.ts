/**
 * A bounded multi-producer, single-consumer queue. `push` resolves when the item is taken into
 * the buffer (strategy: block the producer when full — backpressure from a slow store reaches the
 * log readers); `takeAll` waits for at least one item and returns everything buffered.
 */
export class Channel<T> {
  readonly #capacity: number;
  #items: T[] = [];
  #waitingProducers: (() => void)[] = [];
  #waitingConsumer: (() => void) | null = null;
  #error: unknown = undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  async push(item: T, signal?: AbortSignal): Promise<void> {
    while (this.#items.length >= this.#capacity) {
      if (signal?.aborted) return;
      await waitFor((wake) => this.#waitingProducers.push(wake), signal);
    }
    this.#items.push(item);
    this.#wakeConsumer();
  }

  /** Make the consumer fail with `err` (a producer died). */
  fail(err: unknown): void {
    this.#error ??= err;
    this.#wakeConsumer();
  }

  /**
   * Wait until an item is there, then take buffered items in order while their total `weigh`t
   * stays within `max` (always at least one). Returns [] when `signal` aborts or `waitMs` passes
   * with nothing buffered.
   */
  async takeAll(
    signal: AbortSignal,
    max = Number.POSITIVE_INFINITY,
    waitMs?: number,
    weigh: (item: T) => number = () => 1,
  ): Promise<T[]> {
    const deadline = waitMs === undefined ? undefined : Date.now() + waitMs;
    while (this.#items.length === 0) {
      if (this.#error !== undefined) throw this.#error;
      if (signal.aborted || (deadline !== undefined && Date.now() >= deadline)) return [];
      await waitFor(
        (wake) => {
          this.#waitingConsumer = wake;
        },
        signal,
        deadline === undefined ? undefined : Math.max(0, deadline - Date.now()),
      );
    }
    let n = 1;
    let total = weigh(this.#items[0]!);
    while (n < this.#items.length && total + weigh(this.#items[n]!) <= max) {
      total += weigh(this.#items[n]!);
      n++;
    }
    const out = this.#items.slice(0, n);
    this.#items = this.#items.slice(n);
    const producers = this.#waitingProducers;
    this.#waitingProducers = [];
    for (const wake of producers) wake();
    return out;
  }

  #wakeConsumer(): void {
    const wake = this.#waitingConsumer;
    this.#waitingConsumer = null;
    wake?.();
  }
}

/**
 * Wait until `register`'s wake-up is called, `signal` aborts or `ms` pass — and remove the abort
 * listener and timer afterwards (long-lived signals would otherwise collect one per wait).
 */
function waitFor(register: (wake: () => void) => void, signal?: AbortSignal, ms?: number) {
  return new Promise<void>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      signal?.removeEventListener('abort', done);
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    };
    register(done);
    signal?.addEventListener('abort', done, { once: true });
    if (ms !== undefined) timer = setTimeout(done, ms);
  });
}
