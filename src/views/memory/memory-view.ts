import type { Position } from '../../core/position.ts';
import { checkKeys } from '../batch.ts';
import { checkPosition } from '../position-check.ts';
import type {
  ApplyResult,
  ScanOptions,
  ScanPage,
  VersionedView,
  ViewStore,
  ViewWrite,
} from '../types.ts';
import { checkLimit, dropLive, dropped, missingVersion, notOpen } from '../view-errors.ts';
import { OrderedTable } from './ordered-table.ts';

interface ViewState<Row> {
  live: string | null;
  readonly versions: Map<string, OrderedTable<Row>>;
}

/**
 * The in-process "database" memory views live in. Handles may be closed and reopened over the same
 * database (tests use this to model a restart); a real process restart loses it, so a memory view
 * opens empty (position null) and is rebuilt from the log.
 */
export class MemoryViewDatabase {
  readonly #views = new Map<string, ViewState<unknown>>();

  /** @internal State of one view, created on first use. */
  state<Row>(name: string): ViewState<Row> {
    let s = this.#views.get(name);
    if (s === undefined) {
      s = { live: null, versions: new Map() };
      this.#views.set(name, s);
    }
    return s as ViewState<Row>;
  }
}

/** Options of `createMemoryView`. */
export interface MemoryViewOptions {
  /** Where the data lives; defaults to a fresh database private to this view. */
  readonly database?: MemoryViewDatabase;
  /** Bound the entries of each version (LRU eviction): makes the view a cache. */
  readonly maxEntries?: number;
}

/**
 * An in-memory view (for serving and tests): a Map per version with ordered scans; promote swaps
 * a pointer, so readers switch versions between two calls, never within one.
 *
 * @example
 * const orders = createMemoryView<{ total: number }>('orders');
 * const v1 = orders.version('v1');
 * await v1.open();
 * await v1.apply([{ key: 'o1', row: { total: 5 } }], { 'orders/0': 1 });
 * await orders.promote('v1');
 * await orders.get('o1'); // { total: 5 }
 */
export function createMemoryView<Row>(
  name: string,
  options: MemoryViewOptions = {},
): VersionedView<Row> {
  return new MemoryView<Row>(name, options);
}

class MemoryView<Row> implements VersionedView<Row> {
  readonly name: string;
  readonly #state: ViewState<Row>;
  readonly #maxEntries: number | undefined;

  constructor(name: string, options: MemoryViewOptions) {
    this.name = name;
    this.#state = (options.database ?? new MemoryViewDatabase()).state<Row>(name);
    this.#maxEntries = options.maxEntries;
  }

  version(version: string): ViewStore<Row> {
    return new MemoryViewStore<Row>(this.name, version, this.#state, this.#maxEntries);
  }

  async liveVersion(): Promise<string | null> {
    return this.#state.live;
  }

  async promote(version: string): Promise<void> {
    if (!this.#state.versions.has(version)) throw missingVersion(this.name, version);
    this.#state.live = version;
  }

  async drop(version: string): Promise<void> {
    if (this.#state.live === version) throw dropLive(this.name, version);
    this.#state.versions.delete(version);
  }

  async versions(): Promise<readonly string[]> {
    return [...this.#state.versions.keys()].sort();
  }

  async get(key: string): Promise<Row | undefined> {
    return this.#live()?.get(key);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    checkLimit(this.name, opts.limit);
    return this.#live()?.scan(opts) ?? { rows: [] };
  }

  async position(): Promise<Position | null> {
    return this.#live()?.position ?? null;
  }

  async close(): Promise<void> {}

  #live(): OrderedTable<Row> | undefined {
    const live = this.#state.live;
    return live === null ? undefined : this.#state.versions.get(live);
  }
}

class MemoryViewStore<Row> implements ViewStore<Row> {
  readonly name: string;
  readonly version: string;
  readonly #state: ViewState<Row>;
  readonly #maxEntries: number | undefined;
  #table: OrderedTable<Row> | undefined;

  constructor(name: string, version: string, state: ViewState<Row>, maxEntries?: number) {
    this.name = name;
    this.version = version;
    this.#state = state;
    this.#maxEntries = maxEntries;
  }

  async open(): Promise<{ position: Position | null }> {
    let table = this.#state.versions.get(this.version);
    if (table === undefined) {
      table = new OrderedTable<Row>(this.#maxEntries);
      this.#state.versions.set(this.version, table);
    }
    this.#table = table;
    return { position: table.position };
  }

  async apply(writes: readonly ViewWrite<Row>[], position: Position): Promise<ApplyResult> {
    const table = this.#open();
    const verdict = checkPosition(this.name, table.position, position);
    if (verdict.kind === 'stale') {
      return { applied: false, reason: 'stale', position: table.position ?? {} };
    }
    checkKeys(this.name, writes);
    // In order, so the last write per key wins (same result as netting the batch first).
    for (const w of writes) {
      if (w.row === null) table.delete(w.key);
      else table.set(w.key, w.row);
    }
    table.position = verdict.next;
    return { applied: true, position: verdict.next };
  }

  async get(key: string): Promise<Row | undefined> {
    return this.#open().get(key);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    checkLimit(this.name, opts.limit);
    return this.#open().scan(opts);
  }

  async position(): Promise<Position | null> {
    return this.#open().position;
  }

  async close(): Promise<void> {
    this.#table = undefined;
  }

  #open(): OrderedTable<Row> {
    if (this.#table === undefined) throw notOpen(this.name, this.version);
    if (this.#state.versions.get(this.version) !== this.#table)
      throw dropped(this.name, this.version);
    return this.#table;
  }
}
