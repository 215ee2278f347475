import { PGlite } from '@electric-sql/pglite';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ColumnMeta,
  encodeRowKey,
  type RecordInput,
  type RowChange,
  type TxBoundary,
} from '../../core/index.ts';
import { openEmbeddedLog } from '../../log/embedded/index.ts';
import { type AppendResult, type Log, partitionForKey } from '../../log/index.ts';
import { readTopic, tempLog } from '../postgres/test-support.ts';
import { pgliteSource } from './pglite-source.ts';

/**
 * Exactly once across crashes between the log append and the change-table delete.
 *
 * A `CrashingLog` makes the k-th append "crash": either before it reaches the log (lost) or
 * after it is durable but before the caller hears back (the dangerous case: the relay must not
 * append it again, and must not have deleted rows it has not appended). After each crash a
 * fresh source (fresh writer, tails re-read: what a restarted process does) relays again;
 * sometimes the embedded log itself is closed and reopened. Meanwhile the application commits
 * and rolls back random transactions; an oracle records the committed row changes in commit
 * order. At the end every partition must hold exactly the oracle's changes for it, in order,
 * each transaction closed by a commit marker, and the transactions topic one commit per
 * transaction, increasing.
 *
 * Planted bugs, each seen to fail this test and then removed:
 * - skip dedupe: ChangeWriter given a log view whose offsets() reports empty partitions (tails
 *   unknown) in PgliteSource.#relay → duplicated changes, the test fails;
 * - delete before durable: ChangeRelay deleting each row as it is read (before flush) → lost
 *   changes after a crash, the test fails.
 * Iterations: UNBUNDLED_FAULT_ITERATIONS (default 60 crash rounds).
 */

const ITERATIONS = Number(process.env.UNBUNDLED_FAULT_ITERATIONS ?? 60);
const SEED = process.env.FC_SEED === undefined ? Date.now() : Number(process.env.FC_SEED);

class Crash extends Error {}

class CrashingLog implements Log {
  readonly #inner: Log;
  #countdown: number;
  readonly #afterDurable: boolean;

  constructor(inner: Log, countdown: number, afterDurable: boolean) {
    this.#inner = inner;
    this.#countdown = countdown;
    this.#afterDurable = afterDurable;
  }

  readonly #inFlight = new Set<Promise<unknown>>();

  async append(
    topic: string,
    partition: number,
    records: readonly RecordInput[],
  ): Promise<AppendResult> {
    if (--this.#countdown === 0) {
      if (this.#afterDurable) await this.#track(this.#inner.append(topic, partition, records));
      throw new Crash(`crash ${this.#afterDurable ? 'after' : 'before'} append`);
    }
    if (this.#countdown < 0) throw new Crash('already crashed');
    return this.#track(this.#inner.append(topic, partition, records));
  }

  /**
   * Wait for appends still in flight: a real crash ends them with the process, but here they
   * would go on and land after the "restarted" relay read the tails (a zombie writer).
   */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inFlight.add(p);
    p.finally(() => this.#inFlight.delete(p)).catch(() => {});
    return p;
  }

  createTopic: Log['createTopic'] = (n, c) => this.#inner.createTopic(n, c);
  ensureTopic: Log['ensureTopic'] = (n, c) => this.#inner.ensureTopic(n, c);
  describeTopic: Log['describeTopic'] = (n) => this.#inner.describeTopic(n);
  listTopics: Log['listTopics'] = () => this.#inner.listTopics();
  read: Log['read'] = (t, p, f, o) => this.#inner.read(t, p, f, o);
  offsets: Log['offsets'] = (t, p) => this.#inner.offsets(t, p);
  commitOffsets: Log['commitOffsets'] = (g, t, o) => this.#inner.commitOffsets(g, t, o);
  fetchOffsets: Log['fetchOffsets'] = (g, t) => this.#inner.fetchOffsets(g, t);
  close: Log['close'] = async () => {};
}

interface Expected {
  readonly table: string;
  readonly op: string;
  readonly id: number;
  readonly v: string | null;
}

let db: PGlite;
beforeAll(async () => {
  db = await PGlite.create();
  await db.exec(
    `CREATE TABLE fa (id int PRIMARY KEY, v text); CREATE TABLE fb (id int PRIMARY KEY, v text);`,
  );
});
afterAll(async () => {
  await db.close();
});

describe('pglite capture under crashes', () => {
  it(`relays every committed change exactly once across ${ITERATIONS} crashes (seed ${SEED})`, async () => {
    const rnd = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { seed: SEED, numRuns: 100_000 });
    let r = 0;
    const next = (n: number) => rnd[r++ % rnd.length]! % n;
    const temp = await tempLog();
    let log: Log = temp.log;
    const expected: Expected[] = [];
    let committedTxs = 0;
    const live = { fa: new Map<number, string>(), fb: new Map<number, string>() };
    let nextId = 1;
    const options = { db, tables: ['fa', 'fb'], partitions: 2, readRows: 7, flushRecords: 5 };

    async function appTransaction(): Promise<void> {
      const rollback = next(5) === 0;
      const events: Expected[] = [];
      const shadow = { fa: new Map(live.fa), fb: new Map(live.fb) };
      await db
        .transaction(async (tx) => {
          for (let i = 0, n = 1 + next(5); i < n; i++) {
            const table = next(2) === 0 ? 'fa' : 'fb';
            const rows = shadow[table];
            const ids = [...rows.keys()];
            const kind = ids.length === 0 ? 0 : next(3);
            const id = kind === 0 ? nextId++ : ids[next(ids.length)]!;
            const v = `v${next(1000)}`;
            if (kind === 0 || kind === 1) {
              await tx.query(
                `INSERT INTO ${table} VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = $2`,
                [id, v],
              );
              events.push({ table, op: kind === 0 ? 'c' : 'u', id, v });
              rows.set(id, v);
            } else {
              await tx.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
              events.push({ table, op: 'd', id, v: null });
              rows.delete(id);
            }
          }
          if (rollback) throw new Error('rollback');
        })
        .catch((err) => {
          if (!rollback) throw err;
        });
      if (rollback) return;
      live.fa = shadow.fa;
      live.fb = shadow.fb;
      expected.push(...events);
      committedTxs++;
    }

    await pgliteSource(options).open(); // install the triggers before the application writes
    let crashes = 0;
    for (let round = 0; crashes < ITERATIONS; round++) {
      for (let i = 0, n = 1 + next(4); i < n; i++) await appTransaction();
      const crashing = new CrashingLog(log, 1 + next(6), next(2) === 0);
      const source = pgliteSource({ ...options });
      try {
        await source.drain(crashing);
      } catch (err) {
        if (!(err instanceof Crash)) throw err;
        crashes++;
      }
      await crashing.settle();
      if (next(8) === 0) {
        await log.close();
        log = await openEmbeddedLog({ dir: temp.dir, maintenanceIntervalMs: 0 });
      }
      expect(round).toBeLessThan(ITERATIONS * 20);
    }
    await pgliteSource(options).drain(log);

    for (const table of ['fa', 'fb']) {
      for (const p of [0, 1]) {
        const recs = await readTopic(log, `pg.public.${table}`, p);
        const got = recs
          .filter((x) => x.event.kind === 'row')
          .map((x) => {
            const e = x.event as RowChange;
            const img = e.after ?? e.before!;
            return {
              table,
              op: e.op,
              id: Number(img.id),
              v: e.after ? (e.after.v as string) : null,
            };
          });
        const want = expected.filter((e) => e.table === table && partitionOfId(e.id) === p);
        expect(got, `${table}/${p}`).toEqual(want);
        const last = recs[recs.length - 1];
        if (last) expect(last.commit).toBe(true);
      }
    }
    const txs = (await readTopic(log, 'pg.transactions')).map((x) => x.event as TxBoundary);
    expect(txs).toHaveLength(committedTxs);
    for (let i = 1; i < txs.length; i++) expect(txs[i]!.lsn > txs[i - 1]!.lsn).toBe(true);
    expect(txs.reduce((n, t) => n + t.eventCount, 0)).toBe(expected.length);
    expect((await db.query('SELECT count(*)::int AS c FROM unbundled_changes')).rows).toEqual([
      { c: 0 },
    ]);
    await log.close();
    await temp.cleanup();
  });
});

const ID_COLUMNS: ColumnMeta[] = [
  { name: 'id', typeOid: 23, typeName: 'int4', typmod: -1, isKey: true },
];

/** The partition (of 2) the capture puts row `id` in: the real key encoding and partitioner. */
function partitionOfId(id: number): number {
  return partitionForKey(encodeRowKey(ID_COLUMNS, { id: String(id) }), 2);
}
