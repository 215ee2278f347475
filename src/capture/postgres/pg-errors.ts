import { isRetryable, UnbundledError } from '../../core/index.ts';

/** Turn a driver / server error into an actionable UnbundledError (SQLSTATE-classified). */
export function classifyPgError(err: unknown, context: string): UnbundledError {
  if (err instanceof UnbundledError) return err;
  const e = err as { code?: string; message?: string } | null;
  const code = e?.code ?? '';
  const msg = e?.message ?? String(err);
  const opts = (retryable: boolean) => ({ retryable, cause: err, details: { sqlstate: code } });
  if (code === '55006' || /is active for PID/.test(msg)) {
    return new UnbundledError(
      'CAPTURE_SLOT_IN_USE',
      `${context}: ${msg}. Another consumer (or a previous capture that has not exited yet) is reading this slot; stop it, or give this source its own slot name`,
      opts(true),
    );
  }
  if (/wal_level/.test(msg)) return walLevelError(err);
  if (
    /invalidated|can no longer get changes|requested WAL segment .* has already been removed/.test(
      msg,
    )
  ) {
    return new UnbundledError(
      'CAPTURE_SLOT_INVALIDATED',
      `${context}: ${msg}. The slot lost WAL it needed (max_slot_wal_keep_size exceeded while the capture was behind): changes were lost. Drop the slot and re-snapshot (a new source position)`,
      opts(false),
    );
  }
  if (
    code === '42501' ||
    /must be superuser or replication role|permission denied to start WAL sender/.test(msg)
  ) {
    return new UnbundledError(
      'CAPTURE_NO_REPLICATION_ROLE',
      `${context}: ${msg}. The role needs REPLICATION: ALTER ROLE <user> WITH REPLICATION (and pg_hba.conf must allow replication connections)`,
      opts(false),
    );
  }
  if (
    /^08|^57P0/.test(code) ||
    isRetryable(err) ||
    /Connection terminated|ECONNRESET|terminating connection/.test(msg)
  ) {
    return new UnbundledError(
      'CAPTURE_CONNECTION_LOST',
      `${context}: ${msg}. The capture reconnects and resumes from the slot`,
      opts(true),
    );
  }
  return new UnbundledError('CAPTURE_PG_ERROR', `${context}: ${msg}`, opts(false));
}

/** wal_level is not logical. */
export function walLevelError(cause?: unknown, current?: string): UnbundledError {
  return new UnbundledError(
    'CAPTURE_WAL_LEVEL',
    `wal_level is '${current ?? 'not logical'}'; CDC needs 'logical': ALTER SYSTEM SET wal_level = logical and restart Postgres`,
    { retryable: false, cause },
  );
}
