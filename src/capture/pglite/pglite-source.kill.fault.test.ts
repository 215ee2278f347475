import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../core/index.ts';
import { decodeChange, POSITION_HEADER, parsePosition, type RowChange } from '../../core/index.ts';
import { openEmbeddedLog } from '../../log/embedded/index.ts';
import type { Log } from '../../log/index.ts';
import { freshPgliteDir } from '../../testing/index.ts';

/**
 * Real process crashes: a child process owning a PGlite data directory and an embedded log
 * commits transactions while the capture relays them, and is SIGKILLed at random moments;
 * the next child takes over the stale lock, PGlite recovers, and the relay resumes. At the end
 * the log, replayed key by key, must equal the table, every insert must appear exactly once,
 * and positions must strictly increase in every partition (no duplicate appends).
 * This covers what the in-process crash test cannot: PGlite's own recovery after SIGKILL (its
 * commits are process-crash durable) and the stale-lock takeover. The child widens the window
 * between a durable append and the delete (60 ms) and signals `ready` only after the relay's
 * first pass, so kills land mid-relay; the test also requires transactions in the log before the
 * final drain. Planted "skip dedupe" (ChangeWriter given a log view whose offsets() reports empty
 * partitions) fails it (positions repeat). An earlier version of this test did not fail on that
 * bug: its kills landed before the relay had started, and the final drain did all the work.
 * Kills: UNBUNDLED_PGLITE_KILLS (default 4: each restart reopens PGlite, 2–20 s on a busy machine).
 */

const KILLS = Number(process.env.UNBUNDLED_PGLITE_KILLS ?? 4);
const CHILD = join(import.meta.dirname, 'kill-child.ts');
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

function startChild(
  pgDir: string,
  logDir: string,
  mode: 'write' | 'drain',
): {
  child: ChildProcess;
  line: Promise<string>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, pgDir, logDir, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let err = '';
  child.stderr!.on('data', (d) => {
    err += String(d);
  });
  const line = new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`child exited ${code}: ${err.slice(-2000)}`)));
  });
  line.catch(() => {});
  return { child, line };
}

async function readAll(log: Log, topic: string, partition: number) {
  const { end } = await log.offsets(topic, partition);
  const out: LogRecord[] = [];
  if (end === 0) return out;
  for await (const batch of log.read(topic, partition, 0, { follow: false })) {
    out.push(...batch);
    if (out.length >= end) break;
  }
  return out;
}

describe('pglite capture under SIGKILL', () => {
  it(`keeps log == table and appends nothing twice across ${KILLS} kills`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'ub-pglite-kill-'));
    const pgDir = join(root, 'pglite');
    const logDir = join(root, 'log');
    try {
      await freshPgliteDir(pgDir); // a copied template: initdb in WASM takes seconds
      for (let i = 0; i < KILLS; i++) {
        const { child, line } = startChild(pgDir, logDir, 'write');
        expect(await line).toBe('ready');
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 1500));
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
      // The kills must have hit a running relay: some transactions are in the log already.
      const peek = await openEmbeddedLog({ dir: logDir, maintenanceIntervalMs: 0 });
      const relayedBeforeDrain = (await peek.offsets('pg.transactions', 0)).end;
      await peek.close();
      expect(relayedBeforeDrain).toBeGreaterThan(0);
      const { line } = startChild(pgDir, logDir, 'drain');
      expect(await line).toBe('drained');

      const log = await openEmbeddedLog({ dir: logDir, maintenanceIntervalMs: 0 });
      const replayed = new Map<string, string>();
      let inserts = 0;
      for (const p of [0, 1]) {
        let last: ReturnType<typeof parsePosition> = null;
        for (const r of await readAll(log, 'pg.public.kt', p)) {
          const pos = parsePosition(r.headers[POSITION_HEADER])!;
          if (last)
            expect(
              pos.lsn > last.lsn ||
                (pos.lsn === last.lsn &&
                  (pos.seq > last.seq || (pos.seq === last.seq && pos.sub > last.sub))),
            ).toBe(true);
          last = pos;
          const ev = decodeChange(r.value!);
          if (ev.kind !== 'row') continue;
          const row = ev as RowChange;
          if (row.op === 'c') inserts++;
          if (row.after) replayed.set(row.after.id as string, row.after.v as string);
          else if (row.before) replayed.delete(row.before.id as string);
        }
      }
      await log.close();
      const db = await PGlite.create(pgDir);
      const table = await db.query<{ id: string; v: string }>(
        'SELECT id::text, v::text FROM kt ORDER BY id',
      );
      await db.close();
      expect(table.rows.length).toBeGreaterThan(0);
      expect(inserts).toBe(table.rows.length);
      expect(Object.fromEntries(replayed)).toEqual(
        Object.fromEntries(table.rows.map((r) => [r.id, r.v])),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 600_000);
});
