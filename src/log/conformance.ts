import { describe, expect, it } from 'vitest';
import {
  fromUtf8,
  isUnbundledError,
  type LogRecord,
  type RecordInput,
  utf8,
} from '../core/index.ts';
import { LOG_ERROR_CODES } from './errors.ts';
import type { Log } from './types.ts';

/** What a backend hands the conformance suite for one test. */
export interface LogConformanceSubject {
  readonly log: Log;
  /** Close the log and open it again from durable state (omit if the backend cannot). */
  readonly reopen?: () => Promise<Log>;
  /** Force compaction of compacted topics now (omit if the backend cannot). */
  readonly compact?: () => Promise<void>;
  /** Close and delete everything. */
  readonly cleanup: () => Promise<void>;
}

/**
 * The contract every `Log` backend passes. Call it inside a test file:
 *
 * @example
 * runLogConformance(async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'log-'));
 *   const log = await openEmbeddedLog({ dir });
 *   return { log, cleanup: async () => { await log.close(); await rm(dir, { recursive: true }); } };
 * });
 *
 * Only what the `Log` interface promises is tested: order, atomic batches, durability across
 * reopen, offsets, tailing and abort, bounded batches, consumer groups, compaction semantics
 * (fold of the compacted log == fold of the full history), concurrent producers and readers.
 */
export function runLogConformance(factory: () => Promise<LogConformanceSubject>): void {
  const withLog = (fn: (s: LogConformanceSubject) => Promise<void>) => async () => {
    const s = await factory();
    try {
      await fn(s);
    } finally {
      await s.cleanup();
    }
  };

  describe('log conformance: topics', () => {
    it('creates, describes, lists and ensures topics', withLog(topicsCase));
    it('rejects unknown topics and partitions with typed errors', withLog(unknownCase));
  });
  describe('log conformance: append and read', () => {
    it('reads back every field in offset order', withLog(roundTripCase));
    it('assigns increasing offsets; offsets() reports the end', withLog(offsetsCase));
    it('reads from a middle offset and past the end', withLog(readFromCase));
    it('keeps each batch contiguous and whole', withLog(batchAtomicCase));
    it('bounds yielded batches by maxBatchBytes', withLog(boundedCase));
  });
  describe('log conformance: tailing', () => {
    it('follows new appends and ends on abort', withLog(followCase));
    it('ends a waiting reader promptly on abort', withLog(abortWhileWaitingCase));
  });
  describe('log conformance: durability', () => {
    it('keeps records and group offsets across reopen', withLog(reopenCase));
  });
  describe('log conformance: consumer groups', () => {
    it('stores, merges and isolates group offsets', withLog(groupsCase));
  });
  describe('log conformance: compaction', () => {
    it('keeps the last value per key, offsets and order', withLog(compactionCase));
  });
  describe('log conformance: concurrency', () => {
    it('serves many concurrent producers and readers', withLog(concurrencyCase));
  });
}

const rec = (
  key: string | null,
  value: string | null,
  headers?: Record<string, string>,
): RecordInput => ({
  key: key === null ? null : utf8(key),
  value: value === null ? null : utf8(value),
  ...(headers === undefined ? {} : { headers }),
});

const text = (b: Uint8Array | null) => (b === null ? null : fromUtf8(b));

/** Read a partition from `from` to its current end (no follow). */
async function readAll(log: Log, topic: string, partition = 0, from = 0): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const batch of log.read(topic, partition, from, { follow: false })) out.push(...batch);
  return out;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    if (isUnbundledError(err, code)) return;
    throw new Error(`expected ${code}, got ${String(err)}`);
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

async function topicsCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t-a', { partitions: 3 });
  expect((await log.describeTopic('t-a')).config.partitions).toBe(3);
  expect((await log.ensureTopic('t-a', { partitions: 3 })).name).toBe('t-a');
  await log.ensureTopic('t-b', { partitions: 1 });
  expect((await log.listTopics()).map((t) => t.name).sort()).toEqual(['t-a', 't-b']);
  await expectCode(log.createTopic('t-a', { partitions: 3 }), LOG_ERROR_CODES.topicExists);
  await expectCode(log.ensureTopic('t-a', { partitions: 2 }), LOG_ERROR_CODES.topicMismatch);
}

async function unknownCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 2 });
  await expectCode(log.append('nope', 0, [rec('k', 'v')]), LOG_ERROR_CODES.unknownTopic);
  await expectCode(log.append('t', 2, [rec('k', 'v')]), LOG_ERROR_CODES.unknownPartition);
  await expectCode(log.offsets('nope', 0), LOG_ERROR_CODES.unknownTopic);
  await expectCode(() => readAll(log, 't', 5), LOG_ERROR_CODES.unknownPartition);
  await expectCode(log.describeTopic('nope'), LOG_ERROR_CODES.unknownTopic);
}

async function roundTripCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 1 });
  const big = 'x'.repeat(70_000);
  const batch: RecordInput[] = [
    rec('k1', 'v1', { a: '1', 'ub-request-id': 'r-ü' }),
    rec(null, 'no key'),
    rec('k1', null),
    { key: utf8('k2'), value: new Uint8Array([0, 255, 1]), timestamp: 1_700_000_000_000 },
    rec('k3', ''),
    rec('k4', big),
  ];
  const before = Date.now();
  const r = await log.append('t', 0, batch);
  const got = await readAll(log, 't');
  expect(got.map((g) => g.offset)).toEqual(batch.map((_, i) => r.baseOffset + i));
  expect(got.map((g) => text(g.key))).toEqual(['k1', null, 'k1', 'k2', 'k3', 'k4']);
  expect(got.map((g) => (g.offset === r.baseOffset + 3 ? 'bin' : text(g.value)))).toEqual([
    'v1',
    'no key',
    null,
    'bin',
    '',
    big,
  ]);
  expect([...got[3]!.value!]).toEqual([0, 255, 1]);
  expect(got[0]!.headers).toEqual({ a: '1', 'ub-request-id': 'r-ü' });
  expect(got[1]!.headers).toEqual({});
  expect(got[3]!.timestamp).toBe(1_700_000_000_000);
  expect(got[0]!.timestamp).toBeGreaterThanOrEqual(before - 1000);
  for (const g of got) expect([g.topic, g.partition]).toEqual(['t', 0]);
}

async function offsetsCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 2 });
  const start = await log.offsets('t', 0);
  expect(start.end).toBeGreaterThanOrEqual(start.beginning);
  let last = start.end - 1;
  for (let i = 0; i < 20; i++) {
    const r = await log.append('t', 0, [rec(`k${i}`, `v${i}`), rec(`k${i}`, `w${i}`)]);
    expect(r.partition).toBe(0);
    expect(r.baseOffset).toBeGreaterThan(last);
    expect(r.lastOffset).toBeGreaterThan(r.baseOffset);
    last = r.lastOffset;
  }
  expect((await log.offsets('t', 0)).end).toBe(last + 1);
  const other = await log.offsets('t', 1);
  expect(other.end).toBe(other.beginning);
}

async function readFromCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 1 });
  const results = [];
  for (let i = 0; i < 50; i++) results.push(await log.append('t', 0, [rec('k', `v${i}`)]));
  const mid = results[30]!.baseOffset;
  const got = await readAll(log, 't', 0, mid);
  expect(got.map((g) => text(g.value))).toEqual(results.slice(30).map((_, i) => `v${30 + i}`));
  expect(await readAll(log, 't', 0, results[49]!.lastOffset + 1)).toEqual([]);
  expect(await readAll(log, 't', 0, results[49]!.lastOffset + 1000)).toEqual([]);
}

async function batchAtomicCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 1 });
  const appends = await Promise.all(
    Array.from({ length: 30 }, (_, b) =>
      log.append(
        't',
        0,
        Array.from({ length: 1 + (b % 7) }, (_, i) => rec(`b${b}`, `${b}:${i}`)),
      ),
    ),
  );
  const got = await readAll(log, 't');
  for (const [b, r] of appends.entries()) {
    const inRange = got.filter((g) => g.offset >= r.baseOffset && g.offset <= r.lastOffset);
    expect(inRange.map((g) => text(g.value))).toEqual(
      Array.from({ length: 1 + (b % 7) }, (_, i) => `${b}:${i}`),
    );
  }
  expect(got.length).toBe(appends.reduce((n, _, b) => n + 1 + (b % 7), 0));
}

async function boundedCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 1 });
  const value = 'v'.repeat(1000);
  for (let i = 0; i < 90; i++) await log.append('t', 0, [rec(`k${i}`, value)]);
  // One batch larger than maxBatchBytes: it must still come out in bounded slices.
  await log.append(
    't',
    0,
    Array.from({ length: 10 }, (_, i) => rec(`b${i}`, value)),
  );
  let batches = 0;
  let records = 0;
  for await (const batch of log.read('t', 0, 0, { follow: false, maxBatchBytes: 8192 })) {
    const bytes = batch.reduce((n, r) => n + (r.value?.length ?? 0) + (r.key?.length ?? 0), 0);
    expect(bytes).toBeLessThanOrEqual(8192);
    batches++;
    records += batch.length;
  }
  expect(records).toBe(100);
  expect(batches).toBeGreaterThanOrEqual(100_000 / 8192);
}

async function followCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 1 });
  await log.append('t', 0, [rec('a', '0')]);
  const ac = new AbortController();
  const seen: string[] = [];
  const reader = (async () => {
    for await (const batch of log.read('t', 0, 0, { follow: true, signal: ac.signal })) {
      for (const r of batch) seen.push(text(r.value)!);
      if (seen.length >= 21) ac.abort();
    }
  })();
  for (let i = 1; i <= 20; i++) {
    await log.append('t', 0, [rec('a', String(i))]);
    if (i % 5 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  await reader;
  expect(seen).toEqual(Array.from({ length: 21 }, (_, i) => String(i)));
}

async function abortWhileWaitingCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 1 });
  const ac = new AbortController();
  const started = Date.now();
  const reader = (async () => {
    let n = 0;
    for await (const batch of log.read('t', 0, 0, { signal: ac.signal })) n += batch.length;
    return n;
  })();
  setTimeout(() => ac.abort(), 50);
  expect(await reader).toBe(0);
  expect(Date.now() - started).toBeLessThan(5000);
  // An already-aborted signal ends at once.
  for await (const _ of log.read('t', 0, 0, { signal: AbortSignal.abort() }))
    throw new Error('unexpected batch');
}

async function reopenCase(s: LogConformanceSubject): Promise<void> {
  if (s.reopen === undefined) return;
  await s.log.createTopic('t', { partitions: 2 });
  const r1 = await s.log.append('t', 1, [rec('a', '1'), rec('b', '2', { h: 'x' })]);
  await s.log.commitOffsets('g', 't', { 1: r1.lastOffset + 1 });
  const log = await s.reopen();
  expect((await log.describeTopic('t')).config.partitions).toBe(2);
  const got = await readAll(log, 't', 1);
  expect(got.map((g) => [g.offset, text(g.key), text(g.value), g.headers])).toEqual([
    [r1.baseOffset, 'a', '1', {}],
    [r1.lastOffset, 'b', '2', { h: 'x' }],
  ]);
  expect(await log.fetchOffsets('g', 't')).toEqual({ 1: r1.lastOffset + 1 });
  const r2 = await log.append('t', 1, [rec('c', '3')]);
  expect(r2.baseOffset).toBeGreaterThan(r1.lastOffset);
}

async function groupsCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 3 });
  expect(await log.fetchOffsets('g1', 't')).toEqual({});
  await log.commitOffsets('g1', 't', { 0: 5, 1: 7 });
  await log.commitOffsets('g1', 't', { 1: 9, 2: 1 });
  await log.commitOffsets('g2', 't', { 0: 100 });
  expect(await log.fetchOffsets('g1', 't')).toEqual({ 0: 5, 1: 9, 2: 1 });
  expect(await log.fetchOffsets('g2', 't')).toEqual({ 0: 100 });
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => log.commitOffsets('g3', 't', { [i % 3]: i })),
  );
  expect(await log.fetchOffsets('g3', 't')).toEqual({ 0: 18, 1: 19, 2: 17 });
}

async function compactionCase(s: LogConformanceSubject): Promise<void> {
  if (s.compact === undefined) return;
  const { log } = s;
  await log.createTopic('c', {
    partitions: 1,
    compaction: { enabled: true, deleteRetentionMs: 0 },
  });
  const history: LogRecord[] = [];
  for (let round = 0; round < 40; round++) {
    const batch = Array.from({ length: 25 }, (_, i) =>
      rec(`k${i % 10}`, i === 3 && round % 5 === 4 ? null : `r${round}i${i}`),
    );
    batch.push(rec(null, `nokey${round}`));
    // Keys written only early: their last value is old, so new data cannot mask a compaction bug.
    if (round < 10) batch.push(rec(`early${round % 3}`, round === 9 ? null : `e${round}`));
    await log.append('c', 0, batch);
  }
  history.push(...(await readAll(log, 'c')));
  await s.compact();
  const after = await readAll(log, 'c');
  const offsets = after.map((r) => r.offset);
  expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
  expect(new Set(offsets).size).toBe(offsets.length);
  const byOffset = new Map(history.map((r) => [r.offset, r]));
  for (const r of after) expect(text(r.value)).toBe(text(byOffset.get(r.offset)!.value));
  expect(fold(after)).toEqual(fold(history));
  expect(after.filter((r) => r.key === null).length).toBe(40);
  expect(after.length).toBeLessThanOrEqual(history.length);
  const latest = new Map(history.filter((r) => r.key !== null).map((r) => [text(r.key), r.offset]));
  for (const off of latest.values()) {
    if (byOffset.get(off)!.value !== null) expect(offsets).toContain(off);
  }
}

function fold(records: readonly LogRecord[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of records) {
    if (r.key === null) continue;
    if (r.value === null) delete out[text(r.key)!];
    else out[text(r.key)!] = text(r.value)!;
  }
  return out;
}

async function concurrencyCase({ log }: LogConformanceSubject): Promise<void> {
  await log.createTopic('t', { partitions: 2 });
  const producers = 8;
  const perProducer = 40;
  const total = producers * perProducer * 2;
  const ac = new AbortController();
  const readers = Array.from({ length: 4 }, (_, i) =>
    followAll(log, 't', i % 2, total / 2, ac.signal),
  );
  const acks = await Promise.all(
    Array.from({ length: producers }, async (_, p) => {
      const out: string[] = [];
      for (let i = 0; i < perProducer; i++) {
        const r = await log.append('t', p % 2, [
          rec(`p${p}`, `${p}:${2 * i}`),
          rec(`p${p}`, `${p}:${2 * i + 1}`),
        ]);
        out.push(`${p % 2}:${r.baseOffset}`);
      }
      return out;
    }),
  );
  const seen = await Promise.all(readers);
  ac.abort();
  for (const part of [0, 1]) {
    const all = await readAll(log, 't', part);
    expect(all.length).toBe(total / 2);
    for (const s of seen.filter((_, i) => i % 2 === part))
      expect(s.map((r) => r.offset)).toEqual(all.map((r) => r.offset));
    const perKey = new Map<string, number[]>();
    for (const r of all) {
      const [p, n] = text(r.value)!.split(':').map(Number) as [number, number];
      perKey.set(String(p), [...(perKey.get(String(p)) ?? []), n]);
    }
    for (const ns of perKey.values()) expect(ns).toEqual(ns.map((_, i) => i));
  }
  const acked = acks.flat();
  expect(new Set(acked).size).toBe(acked.length);
}

async function followAll(
  log: Log,
  topic: string,
  partition: number,
  want: number,
  signal: AbortSignal,
) {
  const out: LogRecord[] = [];
  for await (const batch of log.read(topic, partition, 0, { follow: true, signal })) {
    out.push(...batch);
    if (out.length >= want) break;
  }
  return out;
}
