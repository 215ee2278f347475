import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UnbundledError } from '../core/index.ts';
import { openEmbeddedLog } from '../log/embedded/index.ts';
import type { Log } from '../log/index.ts';
import type { VersionedView } from '../views/index.ts';
import { DeadLetterWriter } from './dead-letters.ts';
import type { AnySources, AnySystem, ViewDef } from './define-system.ts';
import type { SourceRuntime } from './sources.ts';
import type { StoreContext } from './stores.ts';
import { buildViewGraph, type ViewGraph } from './view-graph.ts';
import { type ViewPhase, ViewRunner, type ViewStatus } from './view-runner.ts';

export interface StartOptions {
  /** Data directory for the embedded log, checkpoints and embedded stores. Default '.data'. */
  readonly dataDir?: string;
  /** Use this log instead of the embedded one under `<dataDir>/log` (not closed on stop). */
  readonly log?: Log;
  /** Environment for DATABASE_URL / REDIS_URL. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Run only these views (default all). */
  readonly views?: readonly string[];
  /** Do not start source capture (views only, e.g. to rebuild from the log). */
  readonly capture?: boolean;
  readonly checkpointIntervalMs?: number;
  /** Lifecycle messages (view phase changes, source failures). */
  readonly onEvent?: (event: RuntimeEvent) => void;
}

export type RuntimeEvent =
  | {
      readonly type: 'view-phase';
      readonly view: string;
      readonly phase: ViewPhase;
      readonly detail?: string;
    }
  | { readonly type: 'source-failed'; readonly source: string; readonly error: Error }
  | { readonly type: 'view-failed'; readonly view: string; readonly error: Error };

/** A running system: its log, sources, views and their status. */
export interface Runtime {
  readonly system: AnySystem;
  readonly log: Log;
  readonly dataDir: string;
  /** SQL access to a source of truth (writes are captured into the log). */
  source(name: string): SourceRuntime;
  /** Read a view through its live version. */
  // biome-ignore lint/suspicious/noExplicitAny: row types are the config's
  view<Row = any>(name: string): VersionedView<Row>;
  viewStatus(): ViewStatus[];
  /** Resolve once every view has applied all that is in the log now (tests, tools). */
  waitForViews(timeoutMs?: number): Promise<void>;
  /**
   * Rebuild a view from the log: a new version is built beside the live one (readers keep
   * reading the old version) and promoted atomically once caught up; resolves with the new
   * version. `onProgress` gets the new version's status every 250 ms.
   */
  rebuild(view: string, onProgress?: (status: ViewStatus) => void): Promise<string>;
  runner(name: string): ViewRunner;
  /** Dead letters written since start. */
  readonly deadLetters: number;
  /** Resolves when every part stopped; rejects with the first failure. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Start a system: open the log, connect and capture every source, and run every view.
 *
 * @example
 * const rt = await startSystem(system, { dataDir: '.data' });
 * await rt.source('shop').sql.query('insert into products …');
 * await rt.stop();
 */
export async function startSystem(system: AnySystem, options: StartOptions = {}): Promise<Runtime> {
  const dataDir = options.dataDir ?? '.data';
  const ctx: StoreContext = { dataDir, env: options.env ?? process.env };
  const emit = options.onEvent ?? (() => {});
  // Plan first: a view definition or store configuration error fails before anything is opened.
  const planned = planViews(system, ctx, options.views);
  await mkdir(dataDir, { recursive: true });
  const log = options.log ?? (await openEmbeddedLog({ dir: join(dataDir, 'log') }));
  const sources = new Map<string, SourceRuntime>();
  const closeAll = async () => {
    for (const p of planned) await p.store.close().catch(() => {});
    for (const s of sources.values()) await s.close().catch(() => {});
    if (!options.log) await log.close();
  };
  try {
    for (const [name, def] of Object.entries(system.sources as AnySources)) {
      sources.set(name, await def.connect(name, ctx));
    }
  } catch (err) {
    await closeAll();
    throw err;
  }
  try {
    await ensureSourceTopics(log, system, sources);
  } catch (err) {
    await closeAll();
    throw err;
  }
  const abort = new AbortController();
  const tasks: Promise<void>[] = [];
  const track = (p: Promise<void>, onError: (error: Error) => RuntimeEvent) =>
    tasks.push(
      p.catch((err: Error) => {
        emit(onError(err));
        throw err;
      }),
    );
  if (options.capture !== false) {
    for (const [name, src] of sources) {
      track(src.run(log, abort.signal), (error) => ({
        type: 'source-failed',
        source: name,
        error,
      }));
    }
  }
  const dlq = new DeadLetterWriter(log);
  const runners = new Map<string, ViewRunner>();
  const startRunner = (p: PlannedView, graph: ViewGraph, force: boolean) => {
    const own = new AbortController();
    abort.signal.addEventListener('abort', () => own.abort(), { once: true });
    const runner = new ViewRunner(graph, {
      log,
      store: p.store,
      storeKind: p.kind,
      dataDir,
      deadLetters: dlq,
      forceRebuild: force,
      ...(options.checkpointIntervalMs === undefined
        ? {}
        : { checkpointIntervalMs: options.checkpointIntervalMs }),
      onPhase: (view, phase, detail) =>
        emit({ type: 'view-phase', view, phase, ...(detail === undefined ? {} : { detail }) }),
    });
    const task = runner.run(own.signal);
    track(task, (error) => ({ type: 'view-failed', view: graph.name, error }));
    return { runner, own, task };
  };
  const running = new Map<string, { runner: ViewRunner; own: AbortController }>();
  for (const p of planned) {
    const r = startRunner(p, p.graph, false);
    running.set(p.graph.name, r);
    runners.set(p.graph.name, r.runner);
  }
  const rebuild = async (name: string, onProgress?: (s: ViewStatus) => void) => {
    const p = lookup(new Map(planned.map((x) => [x.graph.name, x])), 'view', name);
    const old = running.get(name)!;
    const fresh = startRunner(p, buildViewGraph(system, name, p.def), true);
    const timer = onProgress && setInterval(() => onProgress(fresh.runner.status()), 250);
    try {
      await waitForLive(fresh.runner, abort.signal);
    } finally {
      if (timer) clearInterval(timer);
    }
    running.set(name, fresh);
    runners.set(name, fresh.runner);
    old.own.abort();
    return fresh.runner.version;
  };
  const done = Promise.all(tasks).then(() => undefined);
  done.catch(() => abort.abort());
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      abort.abort();
      await Promise.allSettled(tasks);
      await closeAll();
    })();
    return stopping;
  };
  const stores = new Map(planned.map((p) => [p.graph.name, p.store]));
  return {
    system,
    log,
    dataDir,
    source: (name) => lookup(sources, 'source', name),
    view: (name) => lookup(stores, 'view', name),
    runner: (name) => lookup(runners, 'view', name),
    viewStatus: () => [...runners.values()].map((r) => r.status()),
    async waitForViews(timeoutMs = 30_000) {
      await Promise.all([...runners.values()].map((r) => r.waitForLogEnd(timeoutMs)));
    },
    rebuild,
    get deadLetters() {
      return dlq.count;
    },
    done,
    stop,
  };
}

interface PlannedView {
  readonly graph: ViewGraph;
  // biome-ignore lint/suspicious/noExplicitAny: views of any row type
  readonly def: ViewDef<any, any>;
  // biome-ignore lint/suspicious/noExplicitAny: row types are the config's
  readonly store: VersionedView<any>;
  readonly kind: string;
}

function planViews(system: AnySystem, ctx: StoreContext, only?: readonly string[]): PlannedView[] {
  const names = Object.keys(system.views);
  for (const name of only ?? []) lookup(new Map(names.map((n) => [n, n])), 'view', name);
  const out: PlannedView[] = [];
  for (const [name, def] of Object.entries(system.views)) {
    if (only && !only.includes(name)) continue;
    const graph = buildViewGraph(system, name, def);
    out.push({ graph, def, store: def.store.create(name, ctx), kind: def.store.kind });
  }
  return out;
}

function lookup<T>(map: ReadonlyMap<string, T>, what: string, name: string): T {
  const found = map.get(name);
  if (found === undefined) {
    throw new UnbundledError(
      `SYSTEM_UNKNOWN_${what.toUpperCase()}`,
      `no ${what} named "${name}" in this system (have: ${[...map.keys()].join(', ')})`,
    );
  }
  return found;
}

/** Resolve once `runner` is live (promoted); reject if it fails or the runtime stops first. */
async function waitForLive(runner: ViewRunner, signal: AbortSignal): Promise<void> {
  for (;;) {
    const { phase, error } = runner.status();
    if (phase === 'live') return;
    if (phase === 'failed') {
      throw new UnbundledError(
        'SYSTEM_REBUILD_FAILED',
        `rebuild of ${runner.name} failed: ${error}`,
      );
    }
    if (signal.aborted) {
      throw new UnbundledError(
        'SYSTEM_STOPPED',
        `the runtime stopped before ${runner.name} was rebuilt`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Create every captured table's topic (and the transactions topic) before capture and views
 * start, so a view over a table nobody has written to yet is simply empty and caught up, not
 * waiting for a topic to appear. One partition each, as the capture sources write by default.
 */
async function ensureSourceTopics(
  log: Log,
  system: AnySystem,
  sources: ReadonlyMap<string, SourceRuntime>,
): Promise<void> {
  for (const [name, def] of Object.entries(system.sources as AnySources)) {
    const src = sources.get(name)!;
    await log.ensureTopic(src.transactionsTopic, { partitions: 1 });
    for (const table of Object.values(def.tables)) {
      await log.ensureTopic(src.topicFor(table.name), { partitions: 1 });
    }
  }
}
