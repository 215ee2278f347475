import type { LogRecord } from '../../core/index.ts';
import { decodeFrame, FRAME_HEADER_BYTES, frameCrcOk } from './batch-codec.ts';
import { type FsOps, readAt } from './fs-ops.ts';
import { corruptError } from './recovery.ts';
import type { Segment } from './segment.ts';

const CHUNK = 4 << 20;

/**
 * Every record of one segment (CRC-checked), in chunks of about 4 MiB of frames. Used by
 * compaction; the caller holds the segment (`acquire`) while iterating.
 */
export async function* segmentRecords(
  ops: FsOps,
  seg: Segment,
  topic: string,
  partition: number,
): AsyncGenerator<LogRecord[]> {
  let pos = 0;
  const size = seg.size;
  while (pos < size) {
    let buf = await readAt(ops, seg.fd, Math.min(CHUNK, size - pos), pos);
    if (buf.readUInt32LE(0) > buf.length) buf = await readAt(ops, seg.fd, buf.readUInt32LE(0), pos);
    const out: LogRecord[] = [];
    let q = 0;
    while (q + FRAME_HEADER_BYTES <= buf.length && q + buf.readUInt32LE(q) <= buf.length) {
      const len = buf.readUInt32LE(q);
      if (len < FRAME_HEADER_BYTES || !frameCrcOk(buf, q, len))
        throw damaged(seg, pos + q, topic, partition);
      decodeFrame(buf, q, topic, partition, 0, out);
      q += len;
    }
    if (q === 0) throw damaged(seg, pos, topic, partition);
    pos += q;
    yield out;
  }
}

function damaged(seg: Segment, position: number, topic: string, partition: number) {
  const problem = {
    position,
    kind: 'corrupt' as const,
    reason: 'CRC32C mismatch during compaction',
  };
  return corruptError(
    seg.path,
    {
      validBytes: position,
      lastOffset: seg.base - 1,
      maxTimestamp: 0,
      frames: 0,
      records: 0,
      index: seg.index,
      problem,
    },
    topic,
    partition,
  );
}
