import pino from 'pino';
import { invalidArgument } from '../errors.ts';
import { type FsOps, nodeFsOps } from './fs-ops.ts';

/** The logging calls the embedded log makes (a pino logger fits). */
export interface LogLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of `openEmbeddedLog`. Sizes in bytes, times in milliseconds. */
export interface EmbeddedLogOptions {
  /** Data directory (created if missing). One process may open it at a time. */
  readonly dir: string;
  /** Wait this long before a group-commit flush to gather more batches. Default 0. */
  readonly lingerMs?: number;
  /** Largest encoded record (key + value + headers + 22 bytes). Default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Largest appended batch frame. Default 64 MiB. */
  readonly maxBatchBytes?: number;
  /**
   * Bytes of encoded batches waiting for the next flush, per partition, before `append` waits
   * (backpressure; strategy: block). Default 64 MiB.
   */
  readonly maxQueuedBytes?: number;
  /** Roll to a new segment file past this size. Default 128 MiB. */
  readonly segmentBytes?: number;
  /** Bytes of log between sparse offset-index entries. Default 4 KiB. */
  readonly indexIntervalBytes?: number;
  /** Run retention and compaction every this often (0 = only when `maintain()` is called). Default 60 s. */
  readonly maintenanceIntervalMs?: number;
  /** Where log lines go (torn tails dropped, segments deleted). Default: pino on stderr. */
  readonly logger?: LogLogger;
  /**
   * Open without taking the directory lock and without changing any file (for tools such as
   * `unbundled log tail` beside a running writer). Writes fail with LOG_READ_ONLY; a torn tail
   * is skipped, not truncated; following readers poll the files. A read-only reader may see
   * records the writer has written but not yet acknowledged. Default false.
   */
  readonly readOnly?: boolean;
  /**
   * What opening verifies. 'all' (default): read and CRC-check every frame of every segment.
   * 'last': only the last segment; closed segments load their persisted index (`<base>.index`,
   * scanned if missing or stale) and are CRC-checked when read, so damage in them surfaces as
   * LOG_CORRUPT on read instead of on open. For large logs where open time matters.
   */
  readonly verifyOnOpen?: 'all' | 'last';
  /** File-operation seam for fault injection in tests. Default: the real file system. */
  readonly fs?: FsOps;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<EmbeddedLogOptions, 'dir'>> & { readonly dir: string };

/** Fill in defaults and check ranges. */
export function resolveOptions(o: EmbeddedLogOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    dir: o.dir,
    lingerMs: o.lingerMs ?? 0,
    maxRecordBytes: o.maxRecordBytes ?? 1 << 20,
    maxBatchBytes: o.maxBatchBytes ?? 64 << 20,
    segmentBytes: o.segmentBytes ?? 128 << 20,
    maxQueuedBytes: o.maxQueuedBytes ?? 64 << 20,
    indexIntervalBytes: o.indexIntervalBytes ?? 4096,
    maintenanceIntervalMs: o.readOnly === true ? 0 : (o.maintenanceIntervalMs ?? 60_000),
    readOnly: o.readOnly ?? false,
    verifyOnOpen: o.verifyOnOpen ?? 'all',
    logger: o.logger ?? pino({ name: 'unbundled-log' }, pino.destination(2)),
    fs: o.fs ?? nodeFsOps,
  };
  for (const k of [
    'maxRecordBytes',
    'maxBatchBytes',
    'maxQueuedBytes',
    'segmentBytes',
    'indexIntervalBytes',
  ] as const) {
    if (!(r[k] > 0)) throw invalidArgument(`option ${k} must be > 0, got ${r[k]}`);
  }
  if (r.segmentBytes > 2 ** 32 - 1) throw invalidArgument('option segmentBytes must be < 4 GiB');
  return r;
}
