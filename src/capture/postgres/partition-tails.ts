import { type ChangePosition, HEADERS, POSITION_HEADER, parsePosition } from '../../core/index.ts';
import type { Log } from '../../log/index.ts';

/** The last captured record of a partition: its position and whether it closed its transaction. */
export interface PartitionTail {
  readonly pos: ChangePosition;
  readonly committed: boolean;
}

/** Read the last record of a partition (null when empty or not written by a capture). */
export async function readTail(
  log: Log,
  topic: string,
  partition: number,
): Promise<PartitionTail | null> {
  const { end } = await log.offsets(topic, partition);
  if (end === 0) return null;
  for (let from = end - 1; from >= Math.max(0, end - 16); from--) {
    for await (const batch of log.read(topic, partition, from, { follow: false })) {
      const last = batch[batch.length - 1];
      const pos = parsePosition(last?.headers[POSITION_HEADER]);
      if (last && pos) return { pos, committed: last.headers[HEADERS.txMarker] === 'commit' };
      break;
    }
  }
  return null;
}
