import { encodePositionToken } from '../core/index.ts';
import type { Runtime, ViewPhase, ViewStatus } from '../system/index.ts';
import type { ChangeHub } from './change-hub.ts';
import type { ViewStats } from './view-stats.ts';

/** A source of truth as /api/status shows it. */
export interface SourceStatus {
  readonly name: string;
  readonly engine: string | null;
  readonly tables: readonly { readonly table: string; readonly topic: string }[];
  /** Capture lag; null: this source kind does not report it (yet). */
  readonly lag: null;
}

export interface TopicStatus {
  readonly name: string;
  readonly partitions: readonly { partition: number; beginning: number; end: number }[];
}

export interface ViewStatusJson {
  readonly name: string;
  readonly version: string;
  readonly store: string;
  readonly phase: ViewPhase;
  readonly position: string;
  readonly offsets: Readonly<Record<string, number>>;
  readonly lagRecords: number;
  readonly lagMs: number;
  readonly appliedRecords: number;
  /** Milliseconds since the last live commit (null: none since the server started). */
  readonly sinceCommitMs: number | null;
  readonly recordsPerSecond: readonly number[];
  readonly writesOut: number;
  readonly rebuild: { readonly done: number; readonly total: number } | null;
  readonly deadLetters: number;
  readonly sseClients: number;
  readonly error: string | null;
}

/** The body of `GET /api/status`. */
export interface SystemStatus {
  readonly system: string;
  readonly at: string;
  readonly sources: readonly SourceStatus[];
  readonly topics: readonly TopicStatus[];
  readonly views: readonly ViewStatusJson[];
  readonly deadLetters: number;
}

/** Gather the status of a running system: sources, topics with offsets, views. */
export async function systemStatus(
  rt: Runtime,
  stats: ViewStats,
  hubs: ReadonlyMap<string, ChangeHub>,
  rebuilds: ReadonlyMap<string, ViewStatus | null> = new Map(),
): Promise<SystemStatus> {
  const now = Date.now();
  return {
    system: rt.system.name,
    at: new Date(now).toISOString(),
    sources: sourceStatus(rt),
    topics: await topicStatus(rt),
    views: rt.viewStatus().map((s) => {
      const f = stats.get(s.name);
      return {
        name: s.name,
        version: s.version,
        store: s.store,
        phase: s.phase,
        position: encodePositionToken(s.position),
        offsets: s.position,
        lagRecords: s.lagRecords,
        lagMs: s.lagMs,
        appliedRecords: s.appliedRecords,
        sinceCommitMs: f?.lastCommitAt == null ? null : now - f.lastCommitAt,
        recordsPerSecond: f ? [...f.recordsPerSecond] : [],
        writesOut: f?.writesOut ?? 0,
        rebuild: rebuildProgress(s, rebuilds),
        deadLetters: s.deadLetters,
        sseClients: hubs.get(s.name)?.clients ?? 0,
        error: s.error,
      };
    }),
    deadLetters: rt.deadLetters,
  };
}

function sourceStatus(rt: Runtime): SourceStatus[] {
  return Object.entries(rt.system.sources).map(([name, def]) => {
    let engine: string | null = null;
    let topicFor = (_t: string): string => '';
    try {
      const src = rt.source(name);
      engine = src.engine;
      topicFor = (t) => src.topicFor(t);
    } catch {}
    const tables = Object.values((def as { tables: Record<string, { name: string }> }).tables);
    return {
      name,
      engine,
      tables: tables.map((t) => ({ table: t.name, topic: topicFor(t.name) })),
      lag: null,
    };
  });
}

async function topicStatus(rt: Runtime): Promise<TopicStatus[]> {
  const topics = await rt.log.listTopics();
  return Promise.all(
    topics
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map(async (t) => {
        const partitions = [];
        for (let p = 0; p < t.config.partitions; p++)
          partitions.push({ partition: p, ...(await rt.log.offsets(t.name, p)) });
        return { name: t.name, partitions };
      }),
  );
}

/** A rebuild runs in a runner of its own until promoted: show its progress on the view. */
function rebuildProgress(s: ViewStatus, rebuilds: ReadonlyMap<string, ViewStatus | null>) {
  if (!rebuilds.has(s.name)) return s.rebuild;
  return rebuilds.get(s.name)?.rebuild ?? { done: 0, total: 0 };
}
