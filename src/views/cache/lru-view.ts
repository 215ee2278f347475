import { UnbundledError } from '../../core/errors.ts';
import { createMemoryView, type MemoryViewDatabase } from '../memory/memory-view.ts';
import type { VersionedView } from '../types.ts';

/** Options of `createLruView`. */
export interface LruViewOptions {
  /** Most entries kept per version; the least recently read or written are evicted. */
  readonly maxEntries: number;
  /** Share state across handles in one process (tests model restarts with it). */
  readonly database?: MemoryViewDatabase;
}

/**
 * An in-process LRU cache view: bounded entries, position kept in memory. It is not durable: a
 * process restart opens it empty (position null) and the runtime rebuilds it from the log (or
 * from the log's retained tail, for a cache). Evicted keys read as missing; use it for hot-key
 * lookups, not for scans of the whole collection.
 *
 * @example
 * const hot = createLruView<Order>('order_by_id', { maxEntries: 100_000 });
 */
export function createLruView<Row>(name: string, options: LruViewOptions): VersionedView<Row> {
  if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) {
    throw new UnbundledError(
      'VIEW_OPTIONS_INVALID',
      `LRU view "${name}": maxEntries ${options.maxEntries} must be a positive integer (the cache bound)`,
    );
  }
  return createMemoryView<Row>(name, options);
}
