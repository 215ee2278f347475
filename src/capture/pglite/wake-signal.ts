/**
 * A wake-up flag for a polling loop: `notify()` (e.g. from a pg_notify listener) makes the
 * current or next `wait()` return at once; otherwise `wait()` returns after `pollMs` or when
 * `signal` aborts. Repeated notifies coalesce into one wake-up.
 */
export class WakeSignal {
  #pending = false;
  #wake: (() => void) | null = null;

  notify(): void {
    this.#pending = true;
    this.#wake?.();
  }

  async wait(pollMs: number, signal: AbortSignal): Promise<void> {
    if (!this.#pending && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        const onAbort = () => done();
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve();
        }
        this.#wake = done;
        signal.addEventListener('abort', onAbort, { once: true });
      });
      this.#wake = null;
    }
    this.#pending = false;
  }
}
