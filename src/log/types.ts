import type { LogRecord, RecordInput } from '../core/index.ts';

/** Per-topic settings. Immutable after creation except retention. */
export interface TopicConfig {
  /** Number of partitions (>= 1). */
  readonly partitions: number;
  /** Delete whole closed segments older than `ms` or beyond `bytes` per partition. */
  readonly retention?: { readonly ms?: number; readonly bytes?: number };
  /**
   * Key compaction: keep the last value per key; tombstones are removed after
   * `deleteRetentionMs` (default 24 h). Records without a key are kept.
   */
  readonly compaction?: { readonly enabled: boolean; readonly deleteRetentionMs?: number };
}

export interface TopicInfo {
  readonly name: string;
  readonly config: TopicConfig;
}

export interface PartitionOffsets {
  /** First offset still readable (after retention / compaction). */
  readonly beginning: number;
  /** Next offset to be assigned (one past the last record). */
  readonly end: number;
}

export interface AppendResult {
  readonly partition: number;
  /** Offset of the first record of the batch. */
  readonly baseOffset: number;
  /** Offset of the last record of the batch. */
  readonly lastOffset: number;
}

export interface ReadOptions {
  /** Keep waiting for new records at the end (tail). Default true. */
  readonly follow?: boolean;
  /** Stop the iteration (it ends normally, without an error). */
  readonly signal?: AbortSignal;
  /** Upper bound on the bytes of one yielded batch (bounded memory). Default 1 MiB. */
  readonly maxBatchBytes?: number;
}

/**
 * A durable, partitioned, replayable log. Every backend (embedded segments, NATS JetStream)
 * implements this and passes `runLogConformance`.
 *
 * - `append` resolves only after the whole batch is durable; a batch is atomic: after a crash
 *   either all of it or none of it is there.
 * - Offsets are monotonically increasing per partition (a backend may leave gaps).
 * - `read` yields batches of records in offset order, starting at the first record with
 *   offset >= `from`; with `follow` it tails new appends. Leaving the loop releases resources.
 */
export interface Log {
  createTopic(name: string, config: TopicConfig): Promise<void>;
  /** Create the topic if missing; if present, check the partition count matches. */
  ensureTopic(name: string, config: TopicConfig): Promise<TopicInfo>;
  describeTopic(name: string): Promise<TopicInfo>;
  listTopics(): Promise<TopicInfo[]>;

  append(topic: string, partition: number, records: readonly RecordInput[]): Promise<AppendResult>;
  read(
    topic: string,
    partition: number,
    from: number,
    options?: ReadOptions,
  ): AsyncIterable<readonly LogRecord[]>;
  offsets(topic: string, partition: number): Promise<PartitionOffsets>;

  /** Durably store a consumer group's next offsets for some partitions of a topic. */
  commitOffsets(
    group: string,
    topic: string,
    offsets: Readonly<Record<number, number>>,
  ): Promise<void>;
  /** The group's committed next offsets (partitions never committed are absent). */
  fetchOffsets(group: string, topic: string): Promise<Record<number, number>>;

  close(): Promise<void>;
}
