import type pg from 'pg';
import { UnbundledError } from '../../core/index.ts';
import { quoteIdent } from './table-ref.ts';

/** A row of pg_replication_slots. */
export interface SlotInfo {
  readonly name: string;
  /** Database the slot belongs to. */
  readonly database: string | null;
  readonly plugin: string | null;
  readonly active: boolean;
  readonly activePid: number | null;
  readonly confirmedFlushLsn: string | null;
  /** 'reserved' | 'extended' | 'unreserved' | 'lost' (null before PG 13). */
  readonly walStatus: string | null;
}

/** Look up a slot; null when it does not exist. */
export async function findSlot(sql: pg.Client, name: string): Promise<SlotInfo | null> {
  const r = await sql.query(
    `SELECT slot_name, database, plugin, active, active_pid, confirmed_flush_lsn::text AS confirmed, wal_status
       FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    name: row.slot_name,
    database: row.database,
    plugin: row.plugin,
    active: row.active,
    activePid: row.active_pid,
    confirmedFlushLsn: row.confirmed,
    walStatus: row.wal_status ?? null,
  };
}

/** Throw when a slot cannot be used: other database, wrong plugin or invalidated. */
export function checkSlotUsable(slot: SlotInfo, database: string): void {
  if (slot.database !== database) {
    throw new UnbundledError(
      'CAPTURE_SLOT_OTHER_DATABASE',
      `replication slot "${slot.name}" belongs to database "${slot.database}", not "${database}" (slot names are cluster-wide); give this source its own slot name`,
    );
  }
  if (slot.plugin !== 'pgoutput') {
    throw new UnbundledError(
      'CAPTURE_SLOT_PLUGIN',
      `replication slot "${slot.name}" uses plugin ${slot.plugin}, not pgoutput; drop it (SELECT pg_drop_replication_slot('${slot.name}')) or choose another slot name`,
    );
  }
  if (slot.walStatus === 'lost') {
    throw new UnbundledError(
      'CAPTURE_SLOT_INVALIDATED',
      `replication slot "${slot.name}" was invalidated (wal_status 'lost': it fell behind by more than max_slot_wal_keep_size) and changes after ${slot.confirmedFlushLsn} are gone; drop the slot and re-snapshot into fresh topics`,
    );
  }
}

/** Result of CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT. */
export interface CreatedSlot {
  readonly consistentPoint: string;
  readonly snapshotName: string;
}

/**
 * Create a permanent logical slot on a replication connection, exporting a snapshot that stays
 * valid until that connection runs its next command.
 */
export async function createSlot(repl: pg.Client, name: string): Promise<CreatedSlot> {
  const r = await repl.query(
    `CREATE_REPLICATION_SLOT ${quoteIdent(name)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
  );
  const row = r.rows[0];
  return { consistentPoint: row.consistent_point, snapshotName: row.snapshot_name };
}

/** Drop a slot (waiting for a dying consumer to release it). */
export async function dropSlot(sql: pg.Client, name: string): Promise<void> {
  await sql.query(
    'SELECT pg_drop_replication_slot($1) WHERE EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)',
    [name],
  );
}

/** IDENTIFY_SYSTEM on a replication connection: the cluster's system identifier. */
export async function identifySystem(repl: pg.Client): Promise<string> {
  const r = await repl.query('IDENTIFY_SYSTEM');
  return String(r.rows[0]?.systemid);
}

/** Bytes of WAL the slot holds back (server WAL position − confirmed_flush_lsn). */
export async function slotLagBytes(sql: pg.Client, name: string): Promise<number | null> {
  const r = await sql.query(
    `SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::float8 AS lag
       FROM pg_replication_slots WHERE slot_name = $1`,
    [name],
  );
  return r.rows[0]?.lag ?? null;
}
