import { join } from 'node:path';
import { UnbundledError } from '../core/index.ts';
import { openEmbeddedLog } from '../log/embedded/index.ts';
import type { Log } from '../log/index.ts';
import type { VersionedView } from '../views/index.ts';
import { DeadLetterWriter } from './dead-letters.ts';
import type { AnySources, SystemDef } from './define-system.ts';
import type { SourceRuntime } from './sources.ts';
import type { StoreContext } from './stores.ts';
import { buildViewGraph } from './view-graph.ts';
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
  // biome-ignore lint/suspicious/noExplicitAny: systems of any sources
  readonly system: SystemDef<any>;
  readonly log: Log;
  readonly dataDir: string;
  /** SQL access to a source of truth (writes are captured into the log). */
  source(name: string): SourceRuntime;
  /** Read a view through its live version. */
  // biome-ignore lint/suspicious/noExplicitAny: row types are the config's
  view<Row = any>(name: string): VersionedView<Row>;
  viewStatus(): ViewStatus[];
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
export async function startSystem(
  // biome-ignore lint/suspicious/noExplicitAny: systems of any sources
  system: SystemDef<any>,
  options: StartOptions = {},
): Promise<Runtime> {
  const dataDir = options.dataDir ?? '.data';
  const env = options.env ?? process.env;
  const ctx: StoreContext = { dataDir, env };
  const log = options.log ?? (await openEmbeddedLog({ dir: join(dataDir, 'log') }));
  const abort = new AbortController();
  const sources = new Map<string, SourceRuntime>();
  const tasks: Promise<void>[] = [];
  const emit = options.onEvent ?? (() => {});
  try {
    for (const [name, def] of Object.entries(system.sources as AnySources))
      sources.set(name, await def.connect(name, ctx));
  } catch (err) {
    for (const s of sources.values()) await s.close().catch(() => {});
    if (!options.log) await log.close();
    throw err;
  }
  const dlq = new DeadLetterWriter(log);
  if (options.capture !== false) {
    for (const [name, src] of sources) {
      tasks.push(
        src.run(log, abort.signal).catch((err: Error) => {
          emit({ type: 'source-failed', source: name, error: err });
          throw err;
        }),
      );
    }
  }
  const runners = new Map<string, ViewRunner>();
  // biome-ignore lint/suspicious/noExplicitAny: row types are the config's
  const stores = new Map<string, VersionedView<any>>();
  for (const [name, def] of Object.entries(system.views)) {
    if (options.views && !options.views.includes(name)) continue;
    const store = def.store.create(name, ctx);
    stores.set(name, store);
    const runner = new ViewRunner(buildViewGraph(system, name, def), {
      log,
      store,
      storeKind: def.store.kind,
      dataDir,
      deadLetters: dlq,
      ...(options.checkpointIntervalMs === undefined
        ? {}
        : { checkpointIntervalMs: options.checkpointIntervalMs }),
      onPhase: (view, phase, detail) =>
        emit({ type: 'view-phase', view, phase, ...(detail === undefined ? {} : { detail }) }),
    });
    runners.set(name, runner);
    tasks.push(
      runner.run(abort.signal).catch((err: Error) => {
        emit({ type: 'view-failed', view: name, error: err });
        throw err;
      }),
    );
  }
  const done = Promise.all(tasks).then(() => undefined);
  done.catch(() => abort.abort());
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      abort.abort();
      await Promise.allSettled(tasks);
      for (const s of stores.values()) await s.close().catch(() => {});
      for (const s of sources.values()) await s.close().catch(() => {});
      if (!options.log) await log.close();
    })();
    return stopping;
  };
  const lookup = <T>(map: Map<string, T>, what: string, name: string): T => {
    const found = map.get(name);
    if (found === undefined) {
      throw new UnbundledError(
        `SYSTEM_UNKNOWN_${what.toUpperCase()}`,
        `no ${what} named "${name}" in this system (have: ${[...map.keys()].join(', ')})`,
      );
    }
    return found;
  };
  return {
    system,
    log,
    dataDir,
    source: (name) => lookup(sources, 'source', name),
    view: (name) => lookup(stores, 'view', name),
    runner: (name) => lookup(runners, 'view', name),
    viewStatus: () => [...runners.values()].map((r) => r.status()),
    get deadLetters() {
      return dlq.count;
    },
    done,
    stop,
  };
}
