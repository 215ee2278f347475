import { mkdir } from 'node:fs/promises';
import { type LogRecord, type RecordInput, UnbundledError } from '../../core/index.ts';
import {
  invalidArgument,
  LOG_ERROR_CODES,
  logClosed,
  unknownPartition,
  unknownTopic,
} from '../errors.ts';
import type {
  AppendResult,
  Log,
  PartitionOffsets,
  ReadOptions,
  TopicConfig,
  TopicInfo,
} from '../types.ts';
import { lockDir } from './dir-lock.ts';
import { GroupOffsets } from './group-offsets.ts';
import { type MaintenanceReport, runMaintenance } from './maintenance.ts';
import { type EmbeddedLogOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { Partition } from './partition.ts';
import { readPartition } from './partition-reader.ts';
import { readOnlyError } from './recovery.ts';
import {
  checkTopicConfig,
  checkTopicName,
  loadTopics,
  partitionDir,
  saveTopic,
} from './topic-store.ts';

interface OpenTopic {
  info: TopicInfo;
  readonly partitions: Partition[];
}

/**
 * Open (or create) an embedded, file-segment log in `options.dir`. Every segment is CRC-checked
 * on open; a torn tail of an interrupted append is truncated and logged; damage in the middle
 * of a segment fails with LOG_CORRUPT.
 *
 * @example
 * const log = await openEmbeddedLog({ dir: '.data/log' });
 * await log.ensureTopic('orders', { partitions: 4 });
 * const { baseOffset } = await log.append('orders', 0, [{ key: utf8('o1'), value: utf8('{}') }]);
 * for await (const batch of log.read('orders', 0, 0, { follow: false })) console.log(batch.length);
 * await log.close();
 */
export async function openEmbeddedLog(options: EmbeddedLogOptions): Promise<EmbeddedLog> {
  const o = resolveOptions(options);
  await mkdir(o.dir, { recursive: true });
  const unlock = o.readOnly ? () => {} : await lockDir(o.dir);
  const topics = new Map<string, OpenTopic>();
  try {
    for (const info of await loadTopics(o.dir)) topics.set(info.name, await openTopic(o, info));
  } catch (err) {
    for (const t of topics.values()) for (const p of t.partitions) await p.close();
    unlock();
    throw err;
  }
  return new EmbeddedLog(o, topics, unlock);
}

async function openTopic(o: ResolvedOptions, info: TopicInfo): Promise<OpenTopic> {
  const partitions: Partition[] = [];
  for (let i = 0; i < info.config.partitions; i++) {
    partitions.push(await Partition.open(partitionDir(o.dir, info.name, i), info.name, i, o));
  }
  return { info, partitions };
}

/** The embedded log backend: topics of partitions of segment files under one directory. */
export class EmbeddedLog implements Log {
  readonly #o: ResolvedOptions;
  readonly #topics: Map<string, OpenTopic>;
  readonly #groups: GroupOffsets;
  readonly #unlock: () => void;
  #topicOps: Promise<unknown> = Promise.resolve();
  #maintaining: Promise<MaintenanceReport> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(o: ResolvedOptions, topics: Map<string, OpenTopic>, unlock: () => void) {
    this.#o = o;
    this.#topics = topics;
    this.#unlock = unlock;
    this.#groups = new GroupOffsets(o.dir, o.fs);
    if (o.maintenanceIntervalMs > 0) {
      this.#timer = setInterval(
        () => void this.maintain().catch((err) => this.#maintenanceFailed(err)),
        o.maintenanceIntervalMs,
      );
      this.#timer.unref();
    }
  }

  /** The data directory. */
  get dir(): string {
    return this.#o.dir;
  }

  createTopic(name: string, config: TopicConfig): Promise<void> {
    return this.#serial(async () => {
      this.#writable(`createTopic ${name}`);
      if (this.#topics.has(name)) {
        throw new UnbundledError(
          LOG_ERROR_CODES.topicExists,
          `topic "${name}" already exists; use ensureTopic to accept an existing one`,
          { details: { topic: name } },
        );
      }
      await this.#create(name, config);
    });
  }

  ensureTopic(name: string, config: TopicConfig): Promise<TopicInfo> {
    return this.#serial(async () => {
      const t = this.#topics.get(name);
      if (t === undefined) {
        this.#writable(`ensureTopic ${name}`);
        return (await this.#create(name, config)).info;
      }
      if (t.info.config.partitions !== config.partitions) {
        throw new UnbundledError(
          LOG_ERROR_CODES.topicMismatch,
          `topic "${name}" has ${t.info.config.partitions} partitions, not ${config.partitions}; partition counts cannot change (data lives by key hash)`,
          { details: { topic: name, have: t.info.config.partitions, want: config.partitions } },
        );
      }
      return t.info;
    });
  }

  async describeTopic(name: string): Promise<TopicInfo> {
    return this.#topic(name).info;
  }

  async listTopics(): Promise<TopicInfo[]> {
    this.#open();
    return [...this.#topics.values()].map((t) => t.info);
  }

  append(topic: string, partition: number, records: readonly RecordInput[]): Promise<AppendResult> {
    try {
      return this.partition(topic, partition).append(records);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async *read(
    topic: string,
    partition: number,
    from: number,
    options: ReadOptions = {},
  ): AsyncIterable<readonly LogRecord[]> {
    const p = this.partition(topic, partition);
    if (!Number.isInteger(from) || from < 0)
      throw invalidArgument(`read offset must be an integer >= 0, got ${from}`);
    yield* readPartition(p, this.#o.fs, from, {
      follow: options.follow ?? true,
      signal: options.signal,
      maxBatchBytes: options.maxBatchBytes ?? 1 << 20,
    });
  }

  async offsets(topic: string, partition: number): Promise<PartitionOffsets> {
    const p = this.partition(topic, partition);
    return { beginning: p.beginningOffset, end: p.endOffset };
  }

  commitOffsets(
    group: string,
    topic: string,
    offsets: Readonly<Record<number, number>>,
  ): Promise<void> {
    try {
      const t = this.#topic(topic);
      this.#writable(`commitOffsets for ${group}`);
      for (const p of Object.keys(offsets)) this.#checkPartition(t, Number(p));
      return this.#groups.commit(group, topic, offsets);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async fetchOffsets(group: string, topic: string): Promise<Record<number, number>> {
    this.#topic(topic);
    return this.#groups.fetch(group, topic);
  }

  /** Apply retention and compaction now (they also run every `maintenanceIntervalMs`). */
  maintain(): Promise<MaintenanceReport> {
    this.#open();
    if (this.#o.readOnly) return Promise.reject(readOnlyError('maintain'));
    this.#maintaining ??= runMaintenance([...this.#topics.values()], this.#o).finally(() => {
      this.#maintaining = undefined;
    });
    return this.#maintaining;
  }

  /** The open partition objects of a topic (for stats and tools). */
  partitions(topic: string): readonly Partition[] {
    return this.#topic(topic).partitions;
  }

  /** One partition (throws LOG_UNKNOWN_TOPIC / LOG_UNKNOWN_PARTITION). */
  partition(topic: string, partition: number): Partition {
    const t = this.#topic(topic);
    this.#checkPartition(t, partition);
    return t.partitions[partition]!;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#maintaining?.catch(() => {});
    for (const t of this.#topics.values()) for (const p of t.partitions) await p.close();
    this.#unlock();
  }

  async #create(name: string, config: TopicConfig): Promise<OpenTopic> {
    checkTopicName(name);
    checkTopicConfig(name, config);
    const info: TopicInfo = Object.freeze({ name, config: Object.freeze({ ...config }) });
    const t = await openTopic(this.#o, info);
    await saveTopic(this.#o.fs, this.#o.dir, info);
    this.#topics.set(name, t);
    return t;
  }

  #serial<T>(run: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(logClosed());
    const next = this.#topicOps.then(run, run);
    this.#topicOps = next.catch(() => {});
    return next;
  }

  #topic(name: string): OpenTopic {
    this.#open();
    const t = this.#topics.get(name);
    if (t === undefined) throw unknownTopic(name);
    return t;
  }

  #checkPartition(t: OpenTopic, partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= t.partitions.length) {
      throw unknownPartition(t.info.name, partition, t.partitions.length);
    }
  }

  #writable(what: string): void {
    if (this.#o.readOnly) throw readOnlyError(what);
  }

  #open(): void {
    if (this.#closed) throw logClosed();
  }

  #maintenanceFailed(err: unknown): void {
    this.#o.logger.error({ err }, 'log maintenance (retention, compaction) failed; it will retry');
  }
}
