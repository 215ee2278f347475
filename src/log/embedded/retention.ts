import type { TopicConfig } from '../types.ts';
import { removeIndexFile } from './index-file.ts';
import type { ResolvedOptions } from './options.ts';
import type { Partition } from './partition.ts';
import type { Segment } from './segment.ts';

/**
 * Retention: delete whole closed segments from the oldest while the oldest is older than
 * `retention.ms` (by its newest record timestamp) or the partition is larger than
 * `retention.bytes`. The active segment is never deleted. Readers holding a deleted segment
 * finish it through their open descriptor. Returns the number of segments deleted.
 */
export async function applyRetention(
  p: Partition,
  config: TopicConfig,
  o: ResolvedOptions,
  now: number,
): Promise<number> {
  const { ms, bytes } = config.retention ?? {};
  if (ms === undefined && bytes === undefined) return 0;
  const doomed: Segment[] = [];
  let total = p.segments.reduce((n, s) => n + s.size, 0);
  for (const s of p.segments) {
    if (s === p.active) break;
    const tooOld = ms !== undefined && now - s.maxTimestamp > ms;
    const tooBig = bytes !== undefined && total > bytes;
    if (!tooOld && !tooBig) break;
    doomed.push(s);
    total -= s.size;
  }
  if (doomed.length === 0) return 0;
  p.setSegments(p.segments.filter((s) => !doomed.includes(s)));
  for (const s of doomed) {
    await o.fs.unlink(s.path);
    await removeIndexFile(o.fs, s.path);
    await s.retire();
  }
  await o.fs.fsyncDir(p.dir);
  o.logger.info(
    { topic: p.topic, partition: p.id, segments: doomed.length, beginning: p.beginningOffset },
    `retention deleted ${doomed.length} segment(s) of ${p.topic}/${p.id}`,
  );
  return doomed.length;
}
