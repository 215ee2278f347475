import { decodePositionToken, encodePositionToken, positionCovers } from '../core/index.ts';
import type { ViewCommit, ViewRunner } from '../system/index.ts';
import { ChangeRing } from './change-ring.ts';
import { toJson } from './json.ts';

/** Where the hub writes one client's SSE frames. */
export interface ChangeSink {
  /** One SSE frame; change frames are UTF-8 encoded once and shared by every client. */
  send(frame: string | Buffer): void;
  /** Bytes written but not yet flushed to the socket. */
  buffered(): number;
  /** End the stream (the client reconnects with its Last-Event-ID). */
  close(reason: string): void;
}

/** Why a client must take a fresh snapshot. */
export type ResyncReason = 'initial' | 'too-old' | 'unknown-position' | 'rebuilt';

export interface ChangeHubOptions {
  /** Commits retained for resuming clients (default 4096). */
  readonly retainCommits?: number;
  /** Row writes retained in total across those commits (default 200 000). */
  readonly retainWrites?: number;
  /** A client with more unflushed bytes than this is disconnected (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  /** Path of the view's first snapshot page, sent with resync events. */
  readonly snapshotPath: string;
}

type HubRunner = Pick<ViewRunner, 'onCommit' | 'committedPosition' | 'status'>;

/**
 * Fans out one view's live commits to SSE clients. Every change event carries the position
 * token it brought the view to as its id; a client resuming from a token gets exactly the
 * commits after it from a bounded ring, or a `resync` event when the ring no longer reaches
 * back that far. Subscribing is synchronous with respect to commits (commit listeners run
 * synchronously), so replay-then-attach has no gap and no duplicate.
 */
export class ChangeHub {
  readonly #current: () => HubRunner;
  #runner: HubRunner;
  readonly #o: ChangeHubOptions;
  readonly #ring: ChangeRing;
  readonly #sinks = new Set<ChangeSink>();
  #unlisten: () => void;
  readonly #timer: NodeJS.Timeout;
  #live = false;
  #rebuilding = false;
  #delivered = 0;

  /**
   * `runner` returns the view's current runner: a rebuild replaces it (the new version was
   * built beside the old one and promoted), which the hub notices and answers with a resync.
   */
  constructor(runner: () => HubRunner, options: ChangeHubOptions) {
    this.#current = runner;
    this.#runner = runner();
    this.#o = options;
    this.#ring = new ChangeRing('', options.retainCommits ?? 4096, options.retainWrites ?? 200_000);
    this.#unlisten = this.#runner.onCommit((c) => this.#onCommit(c));
    this.#timer = setInterval(() => this.#sync(), 200);
    this.#timer.unref();
    this.#sync();
  }

  /** Clients attached now. */
  get clients(): number {
    return this.#sinks.size;
  }

  /** Frames delivered to clients since start. */
  get delivered(): number {
    return this.#delivered;
  }

  /** Token of the newest position clients can resume from (null until the view is live). */
  get head(): string | null {
    return this.#live ? this.#ring.head : null;
  }

  /**
   * Attach a client. `from` is the token of the last event it applied (Last-Event-ID), or null
   * for a fresh client, which gets a `resync` event naming the position its snapshot must start
   * from. Returns a detach function.
   */
  subscribe(sink: ChangeSink, from: string | null): () => void {
    sink.send('retry: 1000\n\n');
    if (this.#live) {
      const replay = from === null ? null : this.#ring.after(from);
      if (replay === null)
        sink.send(this.#resyncFrame(from === null ? 'initial' : this.#why(from)));
      else for (const c of replay) sink.send(c.frame);
    } else sink.send(': view not live yet; a resync event follows when it is\n\n');
    this.#sinks.add(sink);
    return () => this.#sinks.delete(sink);
  }

  close(): void {
    this.#unlisten();
    clearInterval(this.#timer);
    for (const s of this.#sinks) s.close('server closing');
    this.#sinks.clear();
  }

  #onCommit(c: ViewCommit): void {
    if (c.building) {
      this.#rebuilding = true;
      return;
    }
    if (!this.#live || this.#rebuilding) {
      this.#goLive(this.#live ? 'rebuilt' : 'initial');
      return;
    }
    if (c.writes.length === 0) return;
    const token = encodePositionToken(c.position);
    const data = toJson({ position: token, at: Date.now(), writes: c.writes });
    const frame = Buffer.from(`id: ${token}\nevent: change\ndata: ${data}\n\n`);
    this.#ring.push({ token, frame, writes: c.writes.length });
    this.#broadcast(frame);
  }

  #sync(): void {
    const current = this.#current();
    if (current !== this.#runner) {
      this.#unlisten();
      this.#runner = current;
      this.#unlisten = current.onCommit((c) => this.#onCommit(c));
      this.#rebuilding = true;
    }
    const phase = this.#runner.status().phase;
    if (phase === 'building') this.#rebuilding = true;
    if (phase === 'live' && (!this.#live || this.#rebuilding))
      this.#goLive(this.#live ? 'rebuilt' : 'initial');
  }

  /** The view's committed position is exact now and every later change arrives as a commit. */
  #goLive(reason: ResyncReason): void {
    this.#live = true;
    this.#rebuilding = false;
    this.#ring.reset(encodePositionToken(this.#runner.committedPosition));
    this.#broadcast(this.#resyncFrame(reason));
  }

  #broadcast(frame: string | Buffer): void {
    const limit = this.#o.maxBufferedBytes ?? 4 * 1024 * 1024;
    for (const sink of this.#sinks) {
      if (sink.buffered() > limit) {
        this.#sinks.delete(sink);
        sink.close('slow client: too many unsent bytes');
        continue;
      }
      sink.send(frame);
      this.#delivered++;
    }
  }

  #why(from: string): ResyncReason {
    try {
      const base = this.#ring.base;
      return positionCovers(decodePositionToken(base), decodePositionToken(from))
        ? 'too-old'
        : 'unknown-position';
    } catch {
      return 'unknown-position';
    }
  }

  #resyncFrame(reason: ResyncReason): string {
    const token = this.#ring.head;
    const data = toJson({ reason, position: token, snapshot: this.#o.snapshotPath });
    return `id: ${token}\nevent: resync\ndata: ${data}\n\n`;
  }
}
