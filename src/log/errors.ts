import { UnbundledError } from '../core/index.ts';

/** Stable error codes raised by log backends (`err.code`). */
export const LOG_ERROR_CODES = {
  /** The topic does not exist. */
  unknownTopic: 'LOG_UNKNOWN_TOPIC',
  /** The partition number is outside the topic's partitions. */
  unknownPartition: 'LOG_UNKNOWN_PARTITION',
  /** `createTopic` on a name that exists. */
  topicExists: 'LOG_TOPIC_EXISTS',
  /** `ensureTopic` with a partition count that differs from the stored one. */
  topicMismatch: 'LOG_TOPIC_MISMATCH',
  /** A record (or batch) is larger than the configured limit; nothing was appended. */
  recordTooLarge: 'LOG_RECORD_TOO_LARGE',
  /** A caller passed something malformed (empty batch, bad name, negative offset). */
  invalidArgument: 'LOG_INVALID_ARGUMENT',
  /** A segment is corrupt in the middle (not a torn tail); run `unbundled log repair --yes`. */
  corrupt: 'LOG_CORRUPT',
  /** A write or fsync failed; nothing of the failed batches was acknowledged. */
  io: 'LOG_IO',
  /** The log was closed. */
  closed: 'LOG_CLOSED',
  /** A write (append, createTopic, commitOffsets, maintain) on a log opened `readOnly`. */
  readOnly: 'LOG_READ_ONLY',
  /** Another process (or another open handle) owns the data directory. */
  locked: 'LOG_LOCKED',
} as const;

/** One of the `LOG_ERROR_CODES` values. */
export type LogErrorCode = (typeof LOG_ERROR_CODES)[keyof typeof LOG_ERROR_CODES];

/** Error for an unknown topic. */
export function unknownTopic(topic: string): UnbundledError {
  return new UnbundledError(
    LOG_ERROR_CODES.unknownTopic,
    `topic "${topic}" does not exist; create it with createTopic/ensureTopic first`,
    { details: { topic } },
  );
}

/** Error for a partition outside `[0, partitions)`. */
export function unknownPartition(topic: string, partition: number, partitions: number) {
  return new UnbundledError(
    LOG_ERROR_CODES.unknownPartition,
    `topic "${topic}" has partitions 0..${partitions - 1}; partition ${partition} does not exist`,
    { details: { topic, partition, partitions } },
  );
}

/** Error for malformed arguments (a programmer error; never retryable). */
export function invalidArgument(message: string, details: Record<string, unknown> = {}) {
  return new UnbundledError(LOG_ERROR_CODES.invalidArgument, message, { details });
}

/** Error used when the log has been closed. */
export function logClosed(): UnbundledError {
  return new UnbundledError(LOG_ERROR_CODES.closed, 'the log is closed; open it again to use it');
}
