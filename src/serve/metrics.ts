import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Runtime } from '../system/index.ts';
import type { ChangeHub } from './change-hub.ts';
import type { ViewStats } from './view-stats.ts';

/** Prometheus metrics of one server: views, dead letters, topics, SSE and HTTP. */
export interface ServeMetrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

/**
 * Build the registry. View figures are read from the runtime at scrape time (no extra work on
 * the hot path); counters the runtime keeps as totals are advanced by their difference.
 * Not exported (the log and the CDC source do not expose them yet): fsync latency and
 * replication slot lag.
 */
export function createMetrics(
  rt: Runtime,
  stats: ViewStats,
  hubs: ReadonlyMap<string, ChangeHub>,
): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'unbundled_' });
  const v = ['view'] as const;
  const recordsIn = new Counter({
    name: 'unbundled_view_records_in_total',
    help: 'Input records applied by the view',
    labelNames: v,
    registers: [registry],
  });
  const writesOut = new Counter({
    name: 'unbundled_view_writes_out_total',
    help: 'Row writes committed to the view store',
    labelNames: v,
    registers: [registry],
  });
  const dead = new Counter({
    name: 'unbundled_view_dead_letters_total',
    help: 'Records of the view sent to the dead-letter topic',
    labelNames: v,
    registers: [registry],
  });
  const lagRecords = new Gauge({
    name: 'unbundled_view_lag_records',
    help: 'Input records not yet applied',
    labelNames: v,
    registers: [registry],
  });
  const lagSeconds = new Gauge({
    name: 'unbundled_view_lag_seconds',
    help: 'Seconds since the view last had no lag (0 when caught up)',
    labelNames: v,
    registers: [registry],
  });
  const since = new Gauge({
    name: 'unbundled_view_seconds_since_commit',
    help: 'Seconds since the last live commit',
    labelNames: v,
    registers: [registry],
  });
  const rebuild = new Gauge({
    name: 'unbundled_view_rebuild_progress_ratio',
    help: 'Progress of a rebuild (1 when none runs)',
    labelNames: v,
    registers: [registry],
  });
  const live = new Gauge({
    name: 'unbundled_view_live',
    help: '1 when the view is live',
    labelNames: v,
    registers: [registry],
  });
  const freshness = new Histogram({
    name: 'unbundled_view_lag_at_commit_seconds',
    help: 'View lag observed at each commit',
    labelNames: v,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  const sseClients = new Gauge({
    name: 'unbundled_sse_clients',
    help: 'Clients following live changes',
    labelNames: v,
    registers: [registry],
  });
  const sseEvents = new Counter({
    name: 'unbundled_sse_events_total',
    help: 'Change frames written to clients',
    labelNames: v,
    registers: [registry],
  });
  const deadAll = new Gauge({
    name: 'unbundled_dead_letters',
    help: 'Dead letters written since start (all views)',
    registers: [registry],
  });
  const topicEnd = new Gauge({
    name: 'unbundled_topic_end_offset',
    help: 'Next offset of each topic partition',
    labelNames: ['topic', 'partition'],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'unbundled_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'unbundled_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const seen = new Map<string, { in: number; out: number; dead: number; sse: number }>();

  const refresh = async () => {
    for (const s of rt.viewStatus()) {
      const l = { view: s.name };
      const f = stats.get(s.name);
      const hub = hubs.get(s.name);
      const prev = seen.get(s.name) ?? { in: 0, out: 0, dead: 0, sse: 0 };
      const now = {
        in: s.appliedRecords,
        out: f?.writesOut ?? 0,
        dead: s.deadLetters,
        sse: hub?.delivered ?? 0,
      };
      recordsIn.inc(l, Math.max(0, now.in - prev.in));
      writesOut.inc(l, Math.max(0, now.out - prev.out));
      dead.inc(l, Math.max(0, now.dead - prev.dead));
      sseEvents.inc(l, Math.max(0, now.sse - prev.sse));
      seen.set(s.name, now);
      lagRecords.set(l, s.lagRecords);
      lagSeconds.set(l, s.lagMs / 1000);
      since.set(l, f?.lastCommitAt == null ? 0 : (Date.now() - f.lastCommitAt) / 1000);
      rebuild.set(
        l,
        s.rebuild === null || s.rebuild.total === 0 ? 1 : s.rebuild.done / s.rebuild.total,
      );
      live.set(l, s.phase === 'live' ? 1 : 0);
      sseClients.set(l, hub?.clients ?? 0);
      for (const ms of f?.lagAtCommit.splice(0) ?? []) freshness.observe(l, ms / 1000);
    }
    deadAll.set(rt.deadLetters);
    for (const t of await rt.log.listTopics()) {
      for (let p = 0; p < t.config.partitions; p++)
        topicEnd.set(
          { topic: t.name, partition: String(p) },
          (await rt.log.offsets(t.name, p)).end,
        );
    }
  };
  const metrics = registry.metrics.bind(registry);
  registry.metrics = async () => {
    await refresh();
    return metrics();
  };
  return {
    registry,
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      latency.observe({ method, route }, seconds);
    },
  };
}
