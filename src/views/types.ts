import type { Position } from '../core/position.ts';

/** One change to a view: set `key` to `row`, or delete it when `row` is null. */
export interface ViewWrite<Row> {
  readonly key: string;
  readonly row: Row | null;
}

/** A page of a key-ordered scan. `cursor` is present when more rows may follow. */
export interface ScanPage<Row> {
  readonly rows: readonly { readonly key: string; readonly row: Row }[];
  readonly cursor?: string;
}

/** Options of a key-ordered scan: at most `limit` rows with key > `cursor`. */
export interface ScanOptions {
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * Outcome of `apply`. A batch whose position is not ahead of the committed one (a replay after a
 * restart) is ignored and reported as `{ applied: false, reason: 'stale' }`; the store is unchanged.
 */
export type ApplyResult =
  | { readonly applied: true; readonly position: Position }
  | { readonly applied: false; readonly reason: 'stale'; readonly position: Position };

/** Read side of a view: point reads, ordered scans and the position the data reflects. */
export interface ViewReader<Row> {
  get(key: string): Promise<Row | undefined>;
  /** Rows ordered by key (UTF-16 code unit order, as JS `<` compares strings). */
  scan(opts: ScanOptions): Promise<ScanPage<Row>>;
  /** The position the visible data reflects; null when nothing was applied yet. */
  position(): Promise<Position | null>;
}

/**
 * One version of one view in one store. `apply(writes, position)` commits the writes and the new
 * position atomically: after any crash, the store holds exactly the data of its committed position.
 *
 * @example
 * const store = view.version('3f2a9c1b');
 * const { position } = await store.open(); // resume the log from here (null: from the start)
 * await store.apply([{ key: 'o1', row: { total: 5 } }], { 'orders/0': 1 });
 */
export interface ViewStore<Row> extends ViewReader<Row> {
  readonly name: string;
  readonly version: string;
  /** Create the version if new; return its committed position (null: empty/new). */
  open(): Promise<{ position: Position | null }>;
  /**
   * Apply a batch atomically with `position`. Within a batch the last write per key wins.
   * `position` must be ahead of the committed one: every partition it names at or past the
   * committed offset and at least one strictly past (or the first position). A position wholly
   * covered by the committed one is ignored (stale); one that goes backwards on some partition
   * while advancing another is rejected with `VIEW_POSITION_CONFLICT`. Partitions it does not
   * name keep their committed offsets (so per-partition workers can share a view).
   * Resolves only once the batch is committed (durably, for durable stores).
   */
  apply(writes: readonly ViewWrite<Row>[], position: Position): Promise<ApplyResult>;
  close(): Promise<void>;
}

/**
 * A named view in a store, with its versions. Readers read through the live alias: the version
 * last promoted. A version is built beside the live one and `promote`d atomically once caught up,
 * so a reader never sees a half-built version.
 */
export interface VersionedView<Row> extends ViewReader<Row> {
  readonly name: string;
  /** The store of one version (call `open()` on it before use). */
  version(version: string): ViewStore<Row>;
  /** The live version, or null when none was promoted yet. */
  liveVersion(): Promise<string | null>;
  /** Atomically make `version` the one readers see. The version must exist (opened). */
  promote(version: string): Promise<void>;
  /** Delete a version that is not live. */
  drop(version: string): Promise<void>;
  /** Versions that exist in the store, sorted. */
  versions(): Promise<readonly string[]>;
  close(): Promise<void>;
}
