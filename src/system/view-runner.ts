import type { ColumnMeta, Position } from '../core/index.ts';
import { parsePartitionKey, partitionKey, UnbundledError } from '../core/index.ts';
import { materialize } from '../dataflow/index.ts';
import type { Log } from '../log/index.ts';
import type { VersionedView, ViewStore, ViewWrite } from '../views/index.ts';
import { Channel } from './channel.ts';
import { type Checkpoint, checkpointPath, loadCheckpoint, saveCheckpoint } from './checkpoint.ts';
import type { DeadLetterEntry, DeadLetterWriter } from './dead-letters.ts';
import type { RejectedChange } from './input-table.ts';
import { readTransactions, type TxChunk } from './transaction-reader.ts';
import { storeKey, type ViewGraph } from './view-graph.ts';

/** One commit of a view: its net writes and the position it reached. */
export interface ViewCommit {
  readonly writes: readonly ViewWrite<unknown>[];
  readonly position: Position;
  /** True while building a new version beside the live one. */
  readonly building: boolean;
}

export type CommitListener = (commit: ViewCommit) => void;

/** Lifecycle of a view in the runtime. */
export type ViewPhase =
  | 'starting'
  | 'waiting-for-source'
  | 'restoring'
  | 'building'
  | 'live'
  | 'failed'
  | 'stopped';

/** A view's progress, as `/api/status` and the terminal show it. */
export interface ViewStatus {
  readonly name: string;
  readonly version: string;
  readonly store: string;
  readonly phase: ViewPhase;
  readonly position: Position;
  /** Records in the inputs not yet applied (from the last end offsets seen). */
  readonly lagRecords: number;
  /** Milliseconds since the view last had no lag (0 when caught up). */
  readonly lagMs: number;
  readonly appliedRecords: number;
  readonly deadLetters: number;
  /** While building a new version beside the live one: records applied / to apply. */
  readonly rebuild: { readonly done: number; readonly total: number } | null;
  readonly error: string | null;
}

export interface ViewRunnerOptions {
  readonly log: Log;
  // biome-ignore lint/suspicious/noExplicitAny: stores are row-type agnostic at run time
  readonly store: VersionedView<any>;
  readonly storeKind: string;
  readonly dataDir: string;
  readonly deadLetters: DeadLetterWriter;
  /** Checkpoint operator state at most this often (default 5 s). */
  readonly checkpointIntervalMs?: number;
  /** Transactions buffered between the log readers and the store (default 64). */
  readonly bufferTransactions?: number;
  readonly onPhase?: (view: string, phase: ViewPhase, detail?: string) => void;
  /** Build a new version beside the live one even if the definition did not change. */
  readonly forceRebuild?: boolean;
  /** Changes per store commit, at transaction boundaries (default 5 000). */
  readonly maxBatchRows?: number;
}

/**
 * Runs one view version: reads its input partitions from the position committed in the store,
 * turns whole source transactions into diffs, steps the graph, and applies the net writes with
 * the new position atomically. A new version is built beside the live one and promoted when it
 * has caught up. Operator state is checkpointed with its position; after a restart the gap
 * between checkpoint and store position is replayed without writing (outputs are discarded).
 */
export class ViewRunner {
  readonly #g: ViewGraph;
  readonly #o: ViewRunnerOptions;
  // biome-ignore lint/suspicious/noExplicitAny: see options
  #store: ViewStore<any> | null = null;
  #phase: ViewPhase = 'starting';
  #position: Record<string, number> = {};
  #committed: Position = {};
  #ends: Record<string, number> = {};
  #caughtUpAt = Date.now();
  #applied = 0;
  #deadLetters = 0;
  #rebuildStart: Record<string, number> | null = null;
  #rebuildTarget: Record<string, number> | null = null;
  #error: string | null = null;
  #lastCheckpoint = 0;
  #checkpointCostMs = 0;
  readonly #waiters = new Set<() => void>();
  readonly #listeners = new Set<CommitListener>();
  #version: string;
  #partitions: string[] = [];
  #schemas: Record<string, readonly ColumnMeta[]> = {};

  constructor(graph: ViewGraph, options: ViewRunnerOptions) {
    this.#g = graph;
    this.#o = options;
    this.#version = graph.version;
  }

  get name(): string {
    return this.#g.name;
  }

  /**
   * The store version this runner writes: the definition hash, or `<hash>.<n>` after a forced
   * rebuild (a live version with the same definition hash is kept across restarts).
   */
  get version(): string {
    return this.#version;
  }

  /** The hash of the view's definition. */
  get definitionVersion(): string {
    return this.#g.version;
  }

  /** The position whose data is committed in the store. */
  get committedPosition(): Position {
    return this.#committed;
  }

  status(): ViewStatus {
    const lag = this.#lag();
    return {
      name: this.name,
      version: this.version,
      store: this.#o.storeKind,
      phase: this.#phase,
      position: { ...this.#committed },
      lagRecords: lag,
      lagMs: lag === 0 ? 0 : Date.now() - this.#caughtUpAt,
      appliedRecords: this.#applied,
      deadLetters: this.#deadLetters,
      rebuild: this.#rebuildProgress(),
      error: this.#error,
    };
  }

  /**
   * Resolve once the view has applied everything its inputs hold now (the log's end offsets at
   * the time of the call); reject with `SYSTEM_TIMEOUT` after `timeoutMs`.
   */
  async waitForLogEnd(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.#waitUntil(() => this.#phase === 'live', deadline);
    const want: Record<string, number> = {};
    for (const tp of this.#partitions) {
      const { topic, partition } = parsePartitionKey(tp);
      want[tp] = (await this.#o.log.offsets(topic, partition)).end;
    }
    await this.#waitUntil(() => this.#isAtLeast(want), deadline);
  }

  async #waitUntil(done: () => boolean, deadline: number): Promise<void> {
    while (!done()) {
      if (this.#phase === 'failed') {
        throw new UnbundledError('SYSTEM_VIEW_FAILED', `view ${this.name} failed: ${this.#error}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new UnbundledError(
          'SYSTEM_TIMEOUT',
          `view ${this.name} did not catch up with the log in time (phase ${this.#phase})`,
          { retryable: true, details: { have: this.#committed } },
        );
      }
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), Math.min(left, 100));
      await this.nextCommit(ac.signal);
      clearTimeout(timer);
    }
  }

  #isAtLeast(want: Position): boolean {
    return this.#phase === 'live' && covers(this.#committed, want, this.#partitions);
  }

  /** Resolve after the next commit to the store (for read-your-writes waits). */
  nextCommit(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Call `listener` synchronously after every commit to the store with the net writes and the
   * position they brought the view to (live changes for clients). Returns an unsubscribe.
   * While a new version is being built, commits go to that version, not the live one: listeners
   * see `building: true` and should not forward those writes as live changes.
   */
  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Run until `signal` aborts; rejects if the store or log fails. */
  async run(signal: AbortSignal): Promise<void> {
    try {
      await this.#run(signal);
      this.#setPhase('stopped');
    } catch (err) {
      this.#error = err instanceof Error ? err.message : String(err);
      this.#setPhase('failed', this.#error);
      throw err;
    } finally {
      await this.#store?.close().catch(() => {});
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const partitions = await this.#waitForTopics(signal);
    this.#partitions = partitions;
    if (signal.aborted) return;
    const live = await this.#o.store.liveVersion();
    this.#version = chooseVersion(this.#g.version, live, this.#o.forceRebuild === true);
    const store = this.#o.store.version(this.version);
    this.#store = store;
    const opened = await store.open();
    this.#committed = opened.position ?? {};
    const from = await this.#restore(partitions);
    for (const tp of partitions) this.#position[tp] = from[tp] ?? 0;
    await this.#replayToCommitted(partitions, signal);
    await this.#refreshEnds(partitions);
    if (live !== this.version) this.#rebuildStart = { ...this.#position };
    this.#setPhase(live === this.version ? 'live' : 'building');
    const channel = new Channel<TxChunk>(this.#o.bufferTransactions ?? 64);
    const readers = new AbortController();
    const stopReaders = () => readers.abort();
    signal.addEventListener('abort', stopReaders, { once: true });
    const pumps = partitions.map((tp) => this.#pump(tp, channel, readers.signal));
    const refresher = setInterval(() => void this.#refreshEnds(partitions).catch(() => {}), 500);
    try {
      await this.#loop(channel, signal, partitions);
    } finally {
      clearInterval(refresher);
      readers.abort();
      signal.removeEventListener('abort', stopReaders);
      await Promise.allSettled(pumps);
      if (this.#phase !== 'failed') await this.#checkpoint(true).catch(() => {});
    }
  }

  async #loop(channel: Channel<TxChunk>, signal: AbortSignal, partitions: readonly string[]) {
    await this.#maybePromote(partitions);
    while (!signal.aborted) {
      // One store commit takes whole transactions up to ~maxBatchRows changes (a single larger
      // transaction still goes alone, atomically): bounded memory and bounded store requests.
      const chunks = await channel.takeAll(
        signal,
        this.#o.maxBatchRows ?? 5_000,
        this.#checkpointEveryMs(),
        (c) => Math.max(1, c.changes.length),
      );
      if (chunks.length === 0) {
        // Idle: keep the checkpoint close to the committed position, so a restart replays little.
        if (!signal.aborted) await this.#checkpoint(false);
        continue;
      }
      const letters: DeadLetterEntry[] = [];
      for (const chunk of chunks)
        this.#feed(chunk, partitionKey(chunk.topic, chunk.partition), letters);
      await this.#commit(letters);
      await this.#maybePromote(partitions);
      await this.#checkpoint(false);
    }
  }

  /**
   * Bring operator state up to the store's committed position before anything new is applied:
   * every input partition is read from where the state stands (the checkpoint, or the start) up
   * to the committed offset, and the outputs are discarded — the store already holds them, and
   * their dead letters were written the first time. Only then does the view go live, so no
   * output is ever computed from state that lags behind another input.
   */
  async #replayToCommitted(partitions: readonly string[], signal: AbortSignal): Promise<void> {
    const lagging = partitions.filter(
      (tp) => (this.#position[tp] ?? 0) < (this.#committed[tp] ?? 0),
    );
    if (lagging.length === 0) return;
    this.#setPhase('restoring');
    for (const tp of lagging) {
      const to = this.#committed[tp]!;
      for await (const chunk of this.#transactions(tp, signal, false)) {
        if (chunk.next > to) throw replayOvershoot(this.name, tp, to, chunk.next);
        this.#feed(chunk, tp, []);
        this.#g.graph.run();
        this.#g.output.drain();
        this.#g.graph.deadLetters();
        if (chunk.next === to) break;
      }
      if ((this.#position[tp] ?? 0) < to && !signal.aborted)
        throw replayOvershoot(this.name, tp, to, this.#position[tp] ?? 0);
    }
  }

  #feed(chunk: TxChunk, tp: string, letters: DeadLetterEntry[]): void {
    const input = this.#g.inputs.get(chunk.topic)!;
    const diffs: [unknown, number][] = [];
    const rejected: RejectedChange[] = [];
    input.state.apply(chunk.changes, diffs, rejected);
    const position = { [tp]: chunk.next };
    if (diffs.length > 0) input.input.send(diffs, position);
    for (const r of rejected) {
      letters.push({
        view: this.name,
        stage: 'input',
        error: r.error,
        position,
        payload: r.change,
      });
    }
    for (const u of chunk.undecodable) {
      letters.push({
        view: this.name,
        stage: 'decode',
        error: u.error,
        position,
        payload: u.record,
      });
    }
    this.#position[tp] = chunk.next;
    this.#schemas[tp] = chunk.columns;
    this.#applied += chunk.changes.length;
  }

  async #commit(letters: DeadLetterEntry[]): Promise<void> {
    this.#g.graph.run();
    this.#collectDeadLetters(letters);
    const writes = materialize(this.#g.output.drain(), storeKey);
    const position = { ...this.#position };
    await this.#writeDeadLetters(letters);
    await this.#store!.apply(writes, position);
    this.#committed = position;
    if (this.#lag() === 0) this.#caughtUpAt = Date.now();
    const building = this.#phase === 'building';
    for (const listener of this.#listeners) listener({ writes, position, building });
    for (const wake of [...this.#waiters]) wake();
  }

  #collectDeadLetters(letters: DeadLetterEntry[]): void {
    for (const d of this.#g.graph.deadLetters()) {
      letters.push({
        view: this.name,
        stage: d.operator,
        error: d.error instanceof Error ? d.error.message : String(d.error),
        position: d.position ?? null,
        payload: d.row,
      });
    }
  }

  async #writeDeadLetters(letters: DeadLetterEntry[]): Promise<void> {
    if (letters.length === 0) return;
    await this.#o.deadLetters.write(letters);
    this.#deadLetters += letters.length;
    letters.length = 0;
  }

  async #pump(tp: string, channel: Channel<TxChunk>, signal: AbortSignal): Promise<void> {
    try {
      for await (const chunk of this.#transactions(tp, signal, true)) {
        await channel.push(chunk, signal);
        if (signal.aborted) return;
      }
    } catch (err) {
      if (!signal.aborted) channel.fail(err);
    }
  }

  /** Whole transactions of partition `tp` from the runner's position, with its schema. */
  #transactions(tp: string, signal: AbortSignal, follow: boolean) {
    const { topic, partition } = parsePartitionKey(tp);
    const columns = this.#schemas[tp] ?? [];
    return readTransactions(
      this.#o.log,
      topic,
      partition,
      this.#position[tp] ?? 0,
      signal,
      columns,
      follow,
    );
  }

  async #waitForTopics(signal: AbortSignal): Promise<string[]> {
    const out: string[] = [];
    for (const topic of this.#g.inputs.keys()) {
      for (;;) {
        try {
          const info = await this.#o.log.describeTopic(topic);
          for (let p = 0; p < info.config.partitions; p++) out.push(partitionKey(topic, p));
          break;
        } catch {
          if (signal.aborted) return out;
          this.#setPhase('waiting-for-source', topic);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    return out;
  }

  /** Load the checkpoint if the store's data covers it; returns where reading starts. */
  async #restore(partitions: readonly string[]): Promise<Position> {
    const path = checkpointPath(this.#o.dataDir, this.name, this.version);
    const cp = await loadCheckpoint(path);
    if (
      cp === null ||
      cp.version !== this.version ||
      !covers(this.#committed, cp.position, partitions)
    ) {
      return {};
    }
    this.#setPhase('restoring');
    this.#g.graph.restore(Buffer.from(cp.graph, 'base64'));
    this.#schemas = { ...(cp.schemas ?? {}) };
    for (const [topic, state] of Object.entries(cp.tables))
      this.#g.inputs.get(topic)?.state.restore(state);
    return cp.position;
  }

  async #checkpoint(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.#lastCheckpoint < this.#checkpointEveryMs()) return;
    if (Object.keys(this.#committed).length === 0) return;
    this.#lastCheckpoint = now;
    const started = performance.now();
    try {
      await this.#writeCheckpoint();
    } finally {
      this.#checkpointCostMs = performance.now() - started;
    }
  }

  /**
   * How often to checkpoint: the configured interval, stretched so that writing the whole state
   * (which grows with the input tables) takes at most ~5% of the time.
   */
  #checkpointEveryMs(): number {
    return Math.max(this.#o.checkpointIntervalMs ?? 5_000, 20 * this.#checkpointCostMs);
  }

  async #writeCheckpoint(): Promise<void> {
    const tables: Record<string, string> = {};
    for (const [topic, input] of this.#g.inputs) tables[topic] = input.state.snapshot();
    const cp: Checkpoint = {
      version: this.version,
      position: { ...this.#position },
      graph: Buffer.from(this.#g.graph.snapshot()).toString('base64'),
      tables,
      schemas: { ...this.#schemas },
    };
    await saveCheckpoint(checkpointPath(this.#o.dataDir, this.name, this.version), cp);
  }

  async #maybePromote(partitions: readonly string[]): Promise<void> {
    if (this.#phase !== 'building') return;
    // Promote on reaching the log end as it was when building started (not the moving end),
    // so a steady stream of writes cannot starve the swap; the version goes on live from there.
    this.#rebuildTarget ??= { ...this.#ends };
    for (const tp of partitions)
      if ((this.#position[tp] ?? 0) < (this.#rebuildTarget[tp] ?? 0)) return;
    if (Object.keys(this.#committed).length === 0)
      await this.#store!.apply([], { ...this.#position });
    this.#committed = { ...this.#position };
    const previous = await this.#o.store.liveVersion();
    await this.#o.store.promote(this.version);
    if (previous !== null && previous !== this.version) await this.#o.store.drop(previous);
    this.#rebuildStart = null;
    this.#setPhase('live', previous === null ? undefined : `replaced version ${previous}`);
  }

  async #refreshEnds(partitions: readonly string[]): Promise<void> {
    for (const tp of partitions) {
      const { topic, partition } = parsePartitionKey(tp);
      const { end } = await this.#o.log.offsets(topic, partition);
      this.#ends[tp] = end;
    }
  }

  #lag(): number {
    let lag = 0;
    for (const [tp, end] of Object.entries(this.#ends))
      lag += Math.max(0, end - (this.#committed[tp] ?? 0));
    return lag;
  }

  #rebuildProgress(): { done: number; total: number } | null {
    if (this.#rebuildStart === null) return null;
    let total = 0;
    let done = 0;
    for (const [tp, end] of Object.entries(this.#ends)) {
      const start = this.#rebuildStart[tp] ?? 0;
      total += Math.max(0, end - start);
      done += Math.max(0, (this.#committed[tp] ?? start) - start);
    }
    return { done, total };
  }

  #setPhase(phase: ViewPhase, detail?: string): void {
    if (this.#phase === phase) return;
    this.#phase = phase;
    this.#o.onPhase?.(this.name, phase, detail);
  }
}

/**
 * Which version to run: the live one if it has this definition hash (unless forced), else the
 * hash itself, or `<hash>.<n+1>` when the hash (or a numbered form of it) is live and a rebuild
 * is forced.
 */
export function chooseVersion(hash: string, live: string | null, force: boolean): string {
  const liveHash = live?.split('.')[0];
  if (live === null || liveHash !== hash) return hash;
  if (!force) return live;
  const n = Number(live.split('.')[1] ?? 0);
  return `${hash}.${n + 1}`;
}

/** The committed offset is not a transaction boundary of the log: the store and log disagree. */
function replayOvershoot(
  view: string,
  tp: string,
  committed: number,
  reached: number,
): UnbundledError {
  return new UnbundledError(
    'SYSTEM_POSITION_MISMATCH',
    `view ${view}: the store says ${tp} is applied up to offset ${committed}, but replaying the log ` +
      `reached ${reached} without a transaction ending there (was the log replaced or truncated?). ` +
      'Rebuild the view: unbundled rebuild ' +
      view,
  );
}

function covers(have: Position, want: Position, partitions: readonly string[]): boolean {
  for (const tp of partitions) if ((want[tp] ?? 0) > (have[tp] ?? 0)) return false;
  return true;
}
