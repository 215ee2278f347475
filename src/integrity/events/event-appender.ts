import { createHash } from 'node:crypto';
import {
  encodePositionToken,
  HEADERS,
  type Position,
  partitionKey,
  type RecordInput,
  UnbundledError,
  utf8,
} from '../../core/index.ts';
import { type AppendResult, type Log, partitionForKey } from '../../log/index.ts';
import { keyReusedError } from '../idempotency/errors.ts';
import type { EventStreamDef } from './event-stream.ts';
import { INTEGRITY_HEADERS } from './integrity-headers.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { PartitionIndex } from './partition-index.ts';
import { validateOrThrow } from './standard-schema.ts';

/** Request ids remembered per partition for dedupe (oldest forgotten first). */
export const DEFAULT_DEDUPE_WINDOW = 100_000;

export interface AppendEventsOptions {
  /** The request id (see `requestIdFor`): a retried append with it appends nothing again. */
  readonly idempotencyKey: string;
  /** Optimistic concurrency: entity key → its expected current version (0 = no events yet). */
  readonly expectedVersions?: Readonly<Record<string, number>>;
}

export interface AppendEventsResult {
  /** Per partition touched, where the request's events are. */
  readonly appended: readonly AppendResult[];
  /** Next offsets after the request's events; wait for a view to cover it to read your write. */
  readonly position: Position;
  /** `encodePositionToken(position)`. */
  readonly token: string;
  /** True when every event was already in the log (a retry); nothing was appended. */
  readonly duplicate: boolean;
}

interface Prepared {
  readonly partition: number;
  readonly key: string;
  readonly value: unknown;
  readonly seq: number;
}

/**
 * Appends schema-checked events to streams whose log is the source of truth, with dedupe by
 * request id and per-key expected versions. One appender must own a partition (it keeps the
 * versions and the dedupe window in memory, rebuilt by scanning the partition on first use);
 * run one per process and route a partition's writes to one process.
 */
export class EventAppender {
  readonly #log: Log;
  readonly #window: number;
  readonly #mutex = new KeyedMutex();
  readonly #indexes = new Map<string, Promise<PartitionIndex>>();

  constructor(log: Log, options: { dedupeWindow?: number } = {}) {
    this.#log = log;
    this.#window = options.dedupeWindow ?? DEFAULT_DEDUPE_WINDOW;
  }

  async append(
    stream: EventStreamDef,
    events: readonly unknown[],
    opts: AppendEventsOptions,
  ): Promise<AppendEventsResult> {
    const prepared = await this.#prepare(stream, events);
    const fingerprint = fingerprintOf(stream.name, events);
    const parts = [...new Set(prepared.map((p) => p.partition))].sort((a, b) => a - b);
    await this.#log.ensureTopic(stream.name, { partitions: stream.partitions });
    const locks = parts.map((p) => partitionKey(stream.name, p));
    return this.#mutex.with(locks, async () => {
      const indexes = await Promise.all(parts.map((p) => this.#index(stream.name, p)));
      const fresh = this.#checkRequest(parts, indexes, opts.idempotencyKey, fingerprint);
      if (fresh.length > 0) this.#checkVersions(stream, prepared, indexes, parts, opts);
      const appended: AppendResult[] = [];
      for (const [i, partition] of parts.entries()) {
        const index = indexes[i]!;
        const prior = index.request(opts.idempotencyKey);
        if (prior !== undefined) {
          appended.push({ partition, baseOffset: prior.baseOffset, lastOffset: prior.lastOffset });
          continue;
        }
        const mine = prepared.filter((p) => p.partition === partition);
        appended.push(
          await this.#write(stream.name, partition, index, mine, opts.idempotencyKey, fingerprint),
        );
      }
      return result(stream.name, appended, fresh.length === 0);
    });
  }

  async #prepare(stream: EventStreamDef, events: readonly unknown[]): Promise<Prepared[]> {
    const out: Prepared[] = [];
    for (const [seq, raw] of events.entries()) {
      const where = `event ${seq} of stream "${stream.name}"`;
      const value = await validateOrThrow(stream.schema, raw, where);
      const key = stream.key(value);
      out.push({ partition: partitionForKey(utf8(key), stream.partitions), key, value, seq });
    }
    return out;
  }

  /** Partitions the request has not reached yet; throws 422 if the key was used otherwise. */
  #checkRequest(parts: number[], indexes: PartitionIndex[], id: string, fp: string): number[] {
    const fresh: number[] = [];
    for (const [i, partition] of parts.entries()) {
      const prior = indexes[i]!.request(id);
      if (prior === undefined) fresh.push(partition);
      else if (prior.fingerprint !== fp) throw keyReusedError(id);
    }
    return fresh;
  }

  #checkVersions(
    stream: EventStreamDef,
    prepared: Prepared[],
    indexes: PartitionIndex[],
    parts: number[],
    opts: AppendEventsOptions,
  ): void {
    for (const [key, expected] of Object.entries(opts.expectedVersions ?? {})) {
      const partition = partitionForKey(utf8(key), stream.partitions);
      const at = parts.indexOf(partition);
      if (at < 0 || !prepared.some((p) => p.key === key)) continue;
      const actual = indexes[at]!.version(key);
      if (actual !== expected) throw versionConflict(stream.name, key, expected, actual);
    }
  }

  async #write(
    topic: string,
    partition: number,
    index: PartitionIndex,
    events: Prepared[],
    requestId: string,
    fingerprint: string,
  ): Promise<AppendResult> {
    const versions = new Map<string, number>();
    const records: RecordInput[] = events.map((e) => {
      const version = (versions.get(e.key) ?? index.version(e.key)) + 1;
      versions.set(e.key, version);
      return {
        key: utf8(e.key),
        value: utf8(JSON.stringify(e.value)),
        headers: {
          [HEADERS.requestId]: requestId,
          [HEADERS.contentType]: 'json',
          [INTEGRITY_HEADERS.requestSeq]: String(e.seq),
          [INTEGRITY_HEADERS.requestFingerprint]: fingerprint,
          [INTEGRITY_HEADERS.keyVersion]: String(version),
        },
      };
    });
    const res = await this.#log.append(topic, partition, records);
    records.forEach((r, i) => {
      index.observe({ key: r.key, offset: res.baseOffset + i, headers: r.headers ?? {} });
    });
    return res;
  }

  #index(topic: string, partition: number): Promise<PartitionIndex> {
    const k = partitionKey(topic, partition);
    let p = this.#indexes.get(k);
    if (p === undefined) {
      p = this.#load(topic, partition);
      p.catch(() => this.#indexes.delete(k));
      this.#indexes.set(k, p);
    }
    return p;
  }

  async #load(topic: string, partition: number): Promise<PartitionIndex> {
    const index = new PartitionIndex(this.#window);
    const { beginning } = await this.#log.offsets(topic, partition);
    for await (const batch of this.#log.read(topic, partition, beginning, { follow: false })) {
      for (const r of batch) index.observe(r);
    }
    return index;
  }
}

function fingerprintOf(stream: string, events: readonly unknown[]): string {
  return createHash('sha256').update(stream).update(JSON.stringify(events)).digest('base64url');
}

function versionConflict(stream: string, key: string, expected: number, actual: number) {
  return new UnbundledError(
    'APPEND_VERSION_CONFLICT',
    `stream "${stream}" key "${key}" is at version ${actual}, the append expected ${expected}: ` +
      'another write came first; re-read the entity and retry with its current version',
    { details: { status: 409, stream, key, expected, actual } },
  );
}

function result(topic: string, appended: AppendResult[], duplicate: boolean): AppendEventsResult {
  const position: Record<string, number> = {};
  for (const a of appended) position[partitionKey(topic, a.partition)] = a.lastOffset + 1;
  return { appended, position, token: encodePositionToken(position), duplicate };
}
