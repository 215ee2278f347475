import { setMaxListeners } from 'node:events';
import { decodePositionToken, type Position, positionCovers } from '../core/index.ts';
import { SseParser } from './sse-parser.ts';

/** One change as the server sends it. */
export interface ChangeEvent<Row> {
  readonly position: string;
  /** Server time (epoch ms) of the commit, for freshness measurements. */
  readonly at: number;
  readonly writes: readonly { readonly key: string; readonly row: Row | null }[];
}

export interface LiveViewOptions<Row> {
  /** Server base URL, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly view: string;
  /** Read token (UNBUNDLED_READ_TOKEN), if the server requires one. */
  readonly token?: string;
  /** Rows per snapshot page (default 500). */
  readonly pageSize?: number;
  /** Wait before reconnecting after a dropped stream (default 250 ms). */
  readonly reconnectDelayMs?: number;
  /** Called after each applied change (not for snapshot rows). */
  readonly onChange?: (change: ChangeEvent<Row>) => void;
  /** Called when a fresh snapshot replaced the local copy; `position`: the resync point. */
  readonly onSnapshot?: (rows: ReadonlyMap<string, Row>, position: string | null) => void;
}

/** Counters for tests and diagnostics. */
export interface LiveViewStats {
  connects: number;
  resyncs: number;
  changes: number;
  /** Change events at or behind the position already applied (skipped; should stay 0). */
  duplicates: number;
}

/**
 * A live local copy of a view: subscribes to its changes first (buffering them), takes a paged
 * snapshot, applies the buffer, then applies changes as they come. After a dropped connection
 * it resumes with `Last-Event-ID`, so nothing is missed or applied twice; when the server says
 * the position is too old (or the view was rebuilt) it takes a fresh snapshot.
 *
 * @example
 * const orders = new LiveView<Order>({ url: 'http://127.0.0.1:3000', view: 'order_by_id' });
 * await orders.ready;
 * orders.rows.get('o42');
 * orders.close();
 */
export class LiveView<Row = unknown> {
  readonly #o: LiveViewOptions<Row>;
  readonly #closed = new AbortController();
  #rows = new Map<string, Row>();
  #lastId: string | null = null;
  #applied: Position | null = null;
  #buffer: ChangeEvent<Row>[] | null = null;
  #generation = 0;
  #connection: AbortController | null = null;
  #nextDelay: number | null = null;
  #resolveReady!: () => void;
  readonly stats: LiveViewStats = { connects: 0, resyncs: 0, changes: 0, duplicates: 0 };
  /** Resolves once the first snapshot is in place. */
  readonly ready: Promise<void>;
  /** Resolves when the client stopped (after `close()`). */
  readonly done: Promise<void>;

  constructor(options: LiveViewOptions<Row>) {
    this.#o = options;
    this.ready = new Promise((r) => {
      this.#resolveReady = r;
    });
    this.done = this.#run();
  }

  /** The local copy (replaced wholesale on resync; do not keep references across awaits). */
  get rows(): ReadonlyMap<string, Row> {
    return this.#rows;
  }

  /** Token of the last change reflected locally (null before the first snapshot). */
  get position(): string | null {
    return this.#buffer === null ? this.#lastId : null;
  }

  /** True while a snapshot is being taken (the copy is not current). */
  get syncing(): boolean {
    return this.#buffer !== null;
  }

  /**
   * Drop the current connection; the client reconnects (after `delayMs`, default the
   * reconnect delay) and resumes from its last event (for tests and failover).
   */
  reconnect(delayMs?: number): void {
    this.#nextDelay = delayMs ?? null;
    this.#connection?.abort();
  }

  close(): Promise<void> {
    this.#closed.abort();
    this.#connection?.abort();
    return this.done;
  }

  async #run(): Promise<void> {
    while (!this.#closed.signal.aborted) {
      this.#connection = new AbortController();
      try {
        await this.#stream(this.#connection.signal);
      } catch (err) {
        if (this.#closed.signal.aborted) break;
        if (!this.#connection.signal.aborted && !isNetworkError(err)) throw err;
      }
      const delay = this.#nextDelay ?? this.#o.reconnectDelayMs ?? 250;
      this.#nextDelay = null;
      if (!this.#closed.signal.aborted) await sleep(delay);
    }
  }

  #headers(): Record<string, string> {
    return this.#o.token ? { authorization: `Bearer ${this.#o.token}` } : {};
  }

  async #stream(signal: AbortSignal): Promise<void> {
    const headers = this.#headers();
    if (this.#lastId !== null) headers['last-event-id'] = this.#lastId;
    const res = await fetch(
      `${this.#o.url}/api/views/${encodeURIComponent(this.#o.view)}/changes`,
      { headers, signal },
    );
    if (!res.ok || !res.body)
      throw new Error(`changes of ${this.#o.view}: HTTP ${res.status} ${await res.text()}`);
    this.stats.connects++;
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const ev of parser.push(decoder.decode(chunk, { stream: true }))) {
        if (ev.event === 'resync') this.#resync(ev.id);
        else if (ev.event === 'change') this.#change(JSON.parse(ev.data) as ChangeEvent<Row>);
        if (ev.id !== null) this.#lastId = ev.id;
      }
    }
  }

  #resync(id: string | null): void {
    this.stats.resyncs++;
    this.#buffer = [];
    void this.#snapshotUntilDone(++this.#generation, id);
  }

  /** Retry a failed snapshot (the buffer keeps filling meanwhile) until a newer resync wins. */
  async #snapshotUntilDone(generation: number, from: string | null): Promise<void> {
    while (generation === this.#generation && !this.#closed.signal.aborted) {
      try {
        return await this.#snapshot(generation, from);
      } catch {
        await sleep(this.#o.reconnectDelayMs ?? 250);
      }
    }
  }

  #change(ev: ChangeEvent<Row>): void {
    if (this.#buffer !== null) this.#buffer.push(ev);
    else this.#apply(ev);
  }

  #apply(ev: ChangeEvent<Row>): void {
    const position = decodePositionToken(ev.position);
    if (this.#applied !== null && positionCovers(this.#applied, position)) {
      this.stats.duplicates++;
      return;
    }
    for (const w of ev.writes) {
      if (w.row === null) this.#rows.delete(w.key);
      else this.#rows.set(w.key, w.row);
    }
    this.#applied = position;
    this.stats.changes++;
    this.#o.onChange?.(ev);
  }

  async #snapshot(generation: number, from: string | null): Promise<void> {
    // One signal per snapshot (fetch keeps a listener per request on it until collected).
    const local = new AbortController();
    setMaxListeners(0, local.signal);
    const stop = () => local.abort();
    this.#closed.signal.addEventListener('abort', stop, { once: true });
    try {
      await this.#pages(generation, from, local.signal);
    } finally {
      this.#closed.signal.removeEventListener('abort', stop);
    }
  }

  async #pages(generation: number, from: string | null, signal: AbortSignal): Promise<void> {
    const rows = new Map<string, Row>();
    let cursor: string | undefined;
    do {
      if (generation !== this.#generation || this.#closed.signal.aborted) return;
      const q = new URLSearchParams({ limit: String(this.#o.pageSize ?? 500) });
      if (cursor !== undefined) q.set('cursor', cursor);
      if (from !== null) q.set('after', from);
      const res = await fetch(`${this.#o.url}/api/views/${encodeURIComponent(this.#o.view)}?${q}`, {
        headers: this.#headers(),
        signal,
      });
      if (!res.ok) throw new Error(`snapshot of ${this.#o.view}: HTTP ${res.status}`);
      const page = (await res.json()) as { rows: { key: string; row: Row }[]; cursor?: string };
      for (const r of page.rows) rows.set(r.key, r.row);
      cursor = page.cursor;
    } while (cursor !== undefined);
    if (generation !== this.#generation) return;
    // The snapshot reflects at least the resync position: replay everything after it in order.
    this.#rows = rows;
    this.#applied = from === null ? null : decodePositionToken(from);
    const buffered = this.#buffer ?? [];
    this.#buffer = null;
    this.#o.onSnapshot?.(this.#rows, from);
    for (const ev of buffered) this.#apply(ev);
    this.#resolveReady();
  }
}

function isNetworkError(err: unknown): boolean {
  return (
    err instanceof TypeError ||
    (err instanceof Error && /terminated|ECONNRESET|socket|fetch failed|aborted/i.test(err.message))
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
