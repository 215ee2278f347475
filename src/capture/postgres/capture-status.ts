import type { UnbundledError } from '../../core/index.ts';
import type { SnapshotProgress } from './snapshot.ts';

/** What a Postgres capture is doing; read with `source.status()` or `source.current`. */
export type CaptureStatus =
  | { readonly type: 'starting' }
  | { readonly type: 'snapshot'; readonly progress: SnapshotProgress }
  | {
      readonly type: 'streaming';
      /** Last LSN acknowledged to Postgres (everything below it is durable in the log). */
      readonly ackedLsn: string;
      readonly transactions: number;
      readonly rows: number;
    }
  | { readonly type: 'retrying'; readonly error: UnbundledError; readonly delayMs: number }
  | { readonly type: 'failed'; readonly error: UnbundledError }
  | { readonly type: 'stopped' };

/**
 * A status channel: keeps the latest status, and feeds each `status()` iterator through a
 * bounded buffer (coalescing: when a slow reader has 64 statuses waiting, the oldest is dropped).
 */
export class StatusChannel {
  #current: CaptureStatus = { type: 'starting' };
  readonly #readers = new Set<{ queue: CaptureStatus[]; wake: (() => void) | null }>();

  get current(): CaptureStatus {
    return this.#current;
  }

  publish(s: CaptureStatus): void {
    this.#current = s;
    for (const r of this.#readers) {
      if (r.queue.length >= 64) r.queue.shift();
      r.queue.push(s);
      r.wake?.();
    }
  }

  async *iterate(signal?: AbortSignal): AsyncGenerator<CaptureStatus> {
    const reader = { queue: [this.#current], wake: null as (() => void) | null };
    this.#readers.add(reader);
    const onAbort = () => reader.wake?.();
    signal?.addEventListener('abort', onAbort);
    try {
      for (;;) {
        while (reader.queue.length > 0) {
          const s = reader.queue.shift()!;
          yield s;
          if (s.type === 'stopped' || s.type === 'failed') return;
        }
        if (signal?.aborted) return;
        await new Promise<void>((resolve) => {
          reader.wake = resolve;
        });
        reader.wake = null;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.#readers.delete(reader);
    }
  }
}
