import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

interface Shared {
  readonly instance: Promise<DuckDBInstance>;
  refs: number;
}

const open = new Map<string, Shared>();

/**
 * One DuckDB instance per database file in this process, reference-counted: views over the same
 * file share it (DuckDB locks the file to one process), and the last `release` closes it.
 */
export async function acquireDuckDb(path: string): Promise<DuckDBInstance> {
  let s = open.get(path);
  if (s === undefined) {
    s = { instance: DuckDBInstance.create(path), refs: 0 };
    open.set(path, s);
    s.instance.catch(() => open.delete(path));
  }
  s.refs++;
  return s.instance;
}

/** Drop one reference; closes the instance when it was the last. */
export async function releaseDuckDb(path: string): Promise<void> {
  const s = open.get(path);
  if (s === undefined || --s.refs > 0) return;
  open.delete(path);
  (await s.instance).closeSync();
}

/**
 * Serializes work on one connection (a DuckDB connection runs one transaction at a time).
 * `run` queues `fn`; the queue is as long as the number of callers waiting (bounded by them).
 */
export class ConnectionQueue {
  readonly #conn: DuckDBConnection;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(conn: DuckDBConnection) {
    this.#conn = conn;
  }

  run<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.#tail.then(() => fn(this.#conn));
    this.#tail = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.#conn.closeSync();
  }
}
