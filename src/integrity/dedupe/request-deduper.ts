import { HEADERS, type LogRecord } from '../../core/index.ts';
import { INTEGRITY_HEADERS } from '../events/integrity-headers.ts';

/** Records remembered by default for dedupe (oldest forgotten first). */
export const DEFAULT_REQUEST_DEDUPE_WINDOW = 100_000;

/**
 * Drops records a view has already applied because the same request reached the log twice
 * (a retried append, a splitter that re-emitted after a crash). The identity of a record is its
 * request id plus its `ub-request-seq` (records without a request id always pass). The window is
 * bounded by count; since it is a function of the records applied, replaying the log from the
 * view's position rebuilds it (feed the last `window` records before that position, or persist
 * `snapshot()` beside the view's position).
 *
 * @example
 * const dedupe = new RequestDeduper();
 * for (const r of dedupeByRequestId(batch, dedupe)) apply(r);
 */
export class RequestDeduper {
  readonly #seen = new Set<string>();
  readonly #window: number;

  constructor(options: { window?: number; snapshot?: readonly string[] } = {}) {
    this.#window = options.window ?? DEFAULT_REQUEST_DEDUPE_WINDOW;
    for (const id of options.snapshot ?? []) this.#remember(id);
  }

  /** True when this record's (request id, seq) was seen before; remembers it otherwise. */
  isDuplicate(record: Pick<LogRecord, 'headers'>): boolean {
    const id = dedupeIdOf(record);
    if (id === undefined) return false;
    if (this.#seen.has(id)) return true;
    this.#remember(id);
    return false;
  }

  /** The remembered ids, oldest first (persist with the view's position). */
  snapshot(): string[] {
    return [...this.#seen];
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > this.#window) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}

/** `requestId#seq` of a record, or undefined without a request id. */
export function dedupeIdOf(record: Pick<LogRecord, 'headers'>): string | undefined {
  const id = record.headers[HEADERS.requestId];
  if (id === undefined) return undefined;
  return `${id}#${record.headers[INTEGRITY_HEADERS.requestSeq] ?? '0'}`;
}

/** The records of `batch` not seen before by `deduper` (in order). */
export function dedupeByRequestId<R extends Pick<LogRecord, 'headers'>>(
  batch: readonly R[],
  deduper: RequestDeduper,
): R[] {
  return batch.filter((r) => !deduper.isDuplicate(r));
}
