import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SearchOptions } from 'minisearch';
import type { Position } from '../../core/position.ts';
import { netBatch } from '../batch.ts';
import { checkPosition } from '../position-check.ts';
import type {
  ApplyResult,
  ScanOptions,
  ScanPage,
  VersionedView,
  ViewStore,
  ViewWrite,
} from '../types.ts';
import { checkLimit, dropLive, missingVersion, notOpen } from '../view-errors.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { type SearchHit, SearchIndex, type SearchIndexOptions } from './search-index.ts';

/** Options of `createSearchView`: a data directory plus index and snapshot options. */
export interface SearchViewOptions extends SearchIndexOptions {
  readonly dir: string;
}

/** Options of one search call: MiniSearch search options plus a result limit (default 20). */
export type SearchCallOptions = SearchOptions & { readonly limit?: number };

/** A versioned view that also answers full-text queries over its live version. */
export interface SearchableView<Row> extends VersionedView<Row> {
  search(query: string, options?: SearchCallOptions): Promise<SearchHit<Row>[]>;
}

/**
 * An embedded full-text search view (MiniSearch). Each version lives in memory and is persisted as
 * one snapshot file (rows + index + position) replaced atomically every `snapshotIntervalMs` or
 * `snapshotEveryWrites`; after a crash it reopens at the snapshot's position and the runtime
 * replays the log from there (exactly once). The live version is named by `live.json`, replaced
 * atomically; `promote` snapshots the version first, so a restart never finds a half-built live
 * version. Reads are served by the process that holds the view.
 *
 * @example
 * const products = createSearchView<{ name: string }>('products', { dir: './data/search', fields: ['name'] });
 * await products.search('blue shoe', { prefix: true });
 */
export function createSearchView<Row>(
  name: string,
  options: SearchViewOptions,
): SearchableView<Row> {
  return new SearchView<Row>(name, options);
}

class SearchView<Row> implements SearchableView<Row> {
  readonly name: string;
  readonly #dir: string;
  readonly #opts: SearchViewOptions;
  readonly #loaded = new Map<string, Promise<SearchIndex<Row>>>();
  #live: string | null | undefined;

  constructor(name: string, options: SearchViewOptions) {
    this.name = name;
    this.#opts = options;
    this.#dir = join(options.dir, encodeURIComponent(name));
  }

  version(version: string): ViewStore<Row> {
    return new SearchViewStore<Row>(this.name, version, () => this.load(version));
  }

  /** @internal Load (once) the in-memory state of a version, creating it when new. */
  load(version: string): Promise<SearchIndex<Row>> {
    let p = this.#loaded.get(version);
    if (p === undefined) {
      p = mkdir(this.#dir, { recursive: true }).then(() =>
        SearchIndex.load<Row>(this.#file(version), version, this.#opts),
      );
      p.catch(() => this.#loaded.delete(version));
      this.#loaded.set(version, p);
    }
    return p;
  }

  async liveVersion(): Promise<string | null> {
    if (this.#live === undefined) {
      const text = await readFile(join(this.#dir, 'live.json'), 'utf8').catch(() => undefined);
      this.#live = text === undefined ? null : (JSON.parse(text) as { version: string }).version;
    }
    return this.#live;
  }

  async promote(version: string): Promise<void> {
    if (!(await this.versions()).includes(version)) throw missingVersion(this.name, version);
    const idx = await this.load(version);
    await idx.snapshot();
    await writeFileAtomic(join(this.#dir, 'live.json'), JSON.stringify({ version }));
    this.#live = version;
  }

  async drop(version: string): Promise<void> {
    if ((await this.liveVersion()) === version) throw dropLive(this.name, version);
    const idx = await this.load(version);
    this.#loaded.delete(version);
    await idx.destroy();
  }

  async versions(): Promise<readonly string[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.snapshot'))
      .map((n) => decodeURIComponent(n.slice(0, -'.snapshot'.length)))
      .sort();
  }

  async get(key: string): Promise<Row | undefined> {
    return (await this.#liveIndex())?.table.get(key);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    checkLimit(this.name, opts.limit);
    return (await this.#liveIndex())?.table.scan(opts) ?? { rows: [] };
  }

  async position(): Promise<Position | null> {
    return (await this.#liveIndex())?.table.position ?? null;
  }

  async search(query: string, options: SearchCallOptions = {}): Promise<SearchHit<Row>[]> {
    const { limit, ...rest } = options;
    return (await this.#liveIndex())?.search(query, rest, limit) ?? [];
  }

  async close(): Promise<void> {
    const all = [...this.#loaded.values()];
    this.#loaded.clear();
    for (const p of all) await (await p).close();
  }

  async #liveIndex(): Promise<SearchIndex<Row> | undefined> {
    const live = await this.liveVersion();
    return live === null ? undefined : this.load(live);
  }

  #file(version: string): string {
    return join(this.#dir, `${encodeURIComponent(version)}.snapshot`);
  }
}

/** One version of a search view. Handles of the same view share the version's in-memory state. */
class SearchViewStore<Row> implements ViewStore<Row> {
  readonly name: string;
  readonly version: string;
  readonly #load: () => Promise<SearchIndex<Row>>;
  #idx: SearchIndex<Row> | undefined;

  constructor(name: string, version: string, load: () => Promise<SearchIndex<Row>>) {
    this.name = name;
    this.version = version;
    this.#load = load;
  }

  async open(): Promise<{ position: Position | null }> {
    this.#idx = await this.#load();
    return { position: this.#idx.table.position };
  }

  async apply(writes: readonly ViewWrite<Row>[], position: Position): Promise<ApplyResult> {
    const idx = this.#open();
    const verdict = checkPosition(this.name, idx.table.position, position);
    if (verdict.kind === 'stale') {
      return { applied: false, reason: 'stale', position: idx.table.position ?? {} };
    }
    await idx.apply(netBatch(this.name, writes), verdict.next);
    return { applied: true, position: verdict.next };
  }

  /** Write a snapshot now (e.g. before handing the view to readers in another process). */
  async flush(): Promise<void> {
    await this.#open().snapshot();
  }

  async get(key: string): Promise<Row | undefined> {
    return this.#open().table.get(key);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    checkLimit(this.name, opts.limit);
    return this.#open().table.scan(opts);
  }

  async position(): Promise<Position | null> {
    return this.#open().table.position;
  }

  async close(): Promise<void> {
    const idx = this.#idx;
    this.#idx = undefined;
    await idx?.snapshot();
  }

  #open(): SearchIndex<Row> {
    if (this.#idx === undefined) throw notOpen(this.name, this.version);
    return this.#idx;
  }
}
