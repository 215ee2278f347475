import type { SnapshotProgress } from './snapshot.ts';

/** Options of `postgres()`. */
export interface PostgresSourceOptions {
  /** Connection URL; the role needs REPLICATION (or superuser). */
  readonly connection: string;
  /** Tables to capture ('orders' = public.orders, 'sales.orders'), or 'all' (FOR ALL TABLES). */
  readonly tables: readonly string[] | 'all';
  /** Publication name (created if missing). Default 'unbundled'. */
  readonly publication?: string;
  /** Permanent logical slot name (created if missing). Default 'unbundled'. */
  readonly slot?: string;
  /** Topic prefix: table topics are `<prefix>.<schema>.<table>`. Default 'pg'. */
  readonly topicPrefix?: string;
  /** Partitions per table topic (records keyed by primary key). Default 1. */
  readonly partitions?: number;
  /** Take an initial snapshot when the slot is created. Default true. */
  readonly snapshot?: boolean;
  /** Emit `pg_logical_emit_message` this often so an idle source does not pin WAL. Default 10 s. */
  readonly heartbeatMs?: number;
  /** Send a standby status update at least this often. Default 5 s. */
  readonly statusIntervalMs?: number;
  /** Flush (append + fsync) once this many records wait; large transactions flush in chunks. Default 5000. */
  readonly batchRecords?: number;
  /** How long to wait for a slot held by a dying consumer before failing. Default 15 s. */
  readonly slotBusyWaitMs?: number;
  /**
   * Outbox routing: inserts into the outbox table (when captured) and transactional
   * `pg_logical_emit_message` events with prefix 'unbundled.outbox' go to topics
   * `<topicPrefix>.<aggregateType>`, keyed by aggregate id. Default table 'public.unbundled_outbox',
   * topic prefix 'outbox'.
   */
  readonly outbox?: { readonly table?: string; readonly topicPrefix?: string };
  /** Snapshot progress (default: a line on stderr per second: rows, rows/s, ETA). */
  readonly onSnapshotProgress?: (p: SnapshotProgress) => void;
}

/** Options with defaults applied. */
export type ResolvedSourceOptions = Required<Omit<PostgresSourceOptions, 'tables'>> & {
  readonly tables: PostgresSourceOptions['tables'];
};

export function resolveSourceOptions(o: PostgresSourceOptions): ResolvedSourceOptions {
  return {
    publication: 'unbundled',
    slot: 'unbundled',
    topicPrefix: 'pg',
    partitions: 1,
    snapshot: true,
    heartbeatMs: 10_000,
    statusIntervalMs: 5_000,
    batchRecords: 5_000,
    slotBusyWaitMs: 15_000,
    onSnapshotProgress: printProgress,
    outbox: {},
    ...o,
  };
}

function printProgress(p: SnapshotProgress): void {
  const total = p.total > 0 ? `/${Math.round(p.total)}` : '';
  const eta = p.etaSec === null ? '' : `, ETA ${p.etaSec}s`;
  process.stderr.write(
    `snapshot ${p.table}: ${p.rows}${total} rows, ${p.rowsPerSec} rows/s${eta}\n`,
  );
}
