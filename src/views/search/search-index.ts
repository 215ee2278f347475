import { readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import MiniSearch, { type SearchOptions } from 'minisearch';
import { UnbundledError } from '../../core/errors.ts';
import type { Position } from '../../core/position.ts';
import type { NetBatch } from '../batch.ts';
import { decodeJson, encodeJson } from '../json-codec.ts';
import { OrderedTable } from '../memory/ordered-table.ts';
import { fsyncDir, writeFileAtomic } from './atomic-file.ts';

/** A document as MiniSearch holds it: the view key and the row. */
interface Doc {
  readonly k: string;
  readonly r: unknown;
}

/** One search hit: key, relevance score and the row. */
export interface SearchHit<Row> {
  readonly key: string;
  readonly score: number;
  readonly row: Row;
}

/** Snapshot cadence and index options of one search view version. */
export interface SearchIndexOptions {
  /** Row fields to index (top-level; arrays are joined with spaces). */
  readonly fields: readonly string[];
  /** Default MiniSearch search options (prefix, fuzzy, boost, combineWith...). */
  readonly searchOptions?: SearchOptions;
  /** Snapshot at most this often when there are unsaved writes (default 1000 ms). */
  readonly snapshotIntervalMs?: number;
  /** Snapshot as part of `apply` once this many writes are unsaved (default 10 000). */
  readonly snapshotEveryWrites?: number;
}

const FORMAT = 'unbundled-search/2';

/**
 * The in-memory state of one search view version (MiniSearch index + rows) and its snapshot file.
 * The snapshot holds the rows and the position they reflect, written atomically, so the durable
 * position always matches the durable data; writes after it are replayed from the log. The index
 * is rebuilt from the rows on load (serializing a MiniSearch index measured ~10x slower than the
 * rows themselves, and snapshots recur while loads happen once per start).
 */
export class SearchIndex<Row> {
  readonly table = new OrderedTable<Row>();
  readonly file: string;
  readonly #version: string;
  readonly #opts: SearchIndexOptions;
  readonly #index: MiniSearch<Doc>;
  #durable: Position | null = null;
  #unsaved = 0;
  #saving: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #lastAt = 0;
  #lastCost = 0;
  #failure: unknown;

  private constructor(file: string, version: string, opts: SearchIndexOptions) {
    this.file = file;
    this.#version = version;
    this.#opts = opts;
    this.#index = new MiniSearch<Doc>(miniOptions(opts));
  }

  /** Load the version's snapshot, or create an empty one. */
  static async load<Row>(file: string, version: string, opts: SearchIndexOptions) {
    const idx = new SearchIndex<Row>(file, version, opts);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (text === undefined) await idx.snapshot();
    else idx.#restore(text);
    idx.#startTimer();
    return idx;
  }

  /** The position of the last snapshot written: what a restart resumes from. */
  get durablePosition(): Position | null {
    return this.#durable;
  }

  /** Apply a net batch in memory; snapshot when enough writes are unsaved. */
  async apply(batch: NetBatch<Row>, position: Position): Promise<void> {
    this.#throwIfFailed();
    for (const key of batch.deletes) {
      this.table.delete(key);
      if (this.#index.has(key)) this.#index.discard(key);
    }
    for (const [key, row] of batch.upserts) {
      this.table.set(key, row);
      const doc = { k: key, r: row };
      if (this.#index.has(key)) this.#index.replace(doc);
      else this.#index.add(doc);
    }
    this.table.position = position;
    this.#unsaved += batch.upserts.length + batch.deletes.length + 1;
    if (this.#unsaved >= (this.#opts.snapshotEveryWrites ?? 10_000) && this.#due()) {
      await this.snapshot();
    }
  }

  search(query: string, options: SearchOptions = {}, limit = 20): SearchHit<Row>[] {
    const hits = this.#index.search(query, { ...this.#opts.searchOptions, ...options });
    return hits.slice(0, limit).map((h) => ({
      key: h.id as string,
      score: h.score,
      row: this.table.get(h.id as string)!,
    }));
  }

  /** Write a snapshot of the current state (serialized synchronously, so it is consistent). */
  snapshot(): Promise<void> {
    const position = this.table.position;
    const started = performance.now();
    const text = this.#serialize();
    this.#lastAt = performance.now();
    this.#lastCost = this.#lastAt - started;
    this.#unsaved = 0;
    this.#saving = this.#saving.then(async () => {
      await writeFileAtomic(this.file, text);
      this.#durable = position;
    });
    return this.#saving;
  }

  /** Save unsaved writes and stop the timer. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    if (this.#unsaved > 0) await this.snapshot();
    await this.#saving;
  }

  /** Stop and delete the snapshot file. */
  async destroy(): Promise<void> {
    clearInterval(this.#timer);
    await this.#saving.catch(() => undefined);
    await rm(this.file, { force: true });
    await fsyncDir(dirname(this.file));
  }

  #serialize(): string {
    const rows: [string, Row][] = [];
    for (let page = this.table.scan({ limit: 1e9 }); ; ) {
      for (const r of page.rows) rows.push([r.key, r.row]);
      if (page.cursor === undefined) break;
      page = this.table.scan({ limit: 1e9, cursor: page.cursor });
    }
    const head = { format: FORMAT, version: this.#version, position: this.table.position };
    return `${JSON.stringify(head)}\n${encodeJson(rows)}\n`;
  }

  /**
   * Snapshots serialize on the event loop (O(rows)); to keep that under ~10% of the time, a
   * cadence-triggered snapshot waits at least 10x the cost of the previous one.
   */
  #due(): boolean {
    return performance.now() - this.#lastAt >= 10 * this.#lastCost;
  }

  #restore(text: string): void {
    const [headText, rowsText] = splitSnapshot(text, this.file);
    const head = JSON.parse(headText) as { format: string; position: Position | null };
    if (head.format !== FORMAT) throw corrupt(this.file, `unknown format ${head.format}`);
    const rows = decodeJson<[string, Row][]>(rowsText);
    for (const [key, row] of rows) this.table.set(key, row);
    this.#index.addAll(rows.map(([k, r]) => ({ k, r })));
    this.table.position = head.position;
    this.#durable = head.position;
  }

  #startTimer(): void {
    this.#timer = setInterval(() => {
      if (this.#unsaved > 0 && this.#due()) this.snapshot().catch((e) => (this.#failure = e));
    }, this.#opts.snapshotIntervalMs ?? 1000);
    this.#timer.unref();
  }

  #throwIfFailed(): void {
    if (this.#failure === undefined) return;
    throw new UnbundledError(
      'VIEW_SNAPSHOT_FAILED',
      `search snapshot ${this.file} could not be written; check disk space and permissions, then reopen the view (it resumes from the last snapshot)`,
      { cause: this.#failure },
    );
  }
}

function miniOptions(opts: SearchIndexOptions) {
  return {
    idField: 'k',
    fields: [...opts.fields],
    extractField: (doc: Doc, field: string) => {
      if (field === 'k') return doc.k;
      const v = (doc.r as Record<string, unknown> | null)?.[field];
      if (v === undefined || v === null) return undefined as unknown as string;
      return Array.isArray(v) ? v.join(' ') : String(v);
    },
  };
}

function splitSnapshot(text: string, file: string): [string, string] {
  const a = text.indexOf('\n');
  const b = text.indexOf('\n', a + 1);
  if (a < 0 || b < 0 || b !== text.length - 1) throw corrupt(file, 'truncated');
  return [text.slice(0, a), text.slice(a + 1, b)];
}

function corrupt(file: string, why: string): UnbundledError {
  return new UnbundledError(
    'VIEW_SNAPSHOT_CORRUPT',
    `search snapshot ${file} is unreadable (${why}); it is written atomically, so this is outside damage: delete the file and rebuild the view from the log`,
  );
}
