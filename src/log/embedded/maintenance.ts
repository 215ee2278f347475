import type { TopicInfo } from '../types.ts';
import { compactPartition } from './compactor.ts';
import type { ResolvedOptions } from './options.ts';
import type { Partition } from './partition.ts';
import { applyRetention } from './retention.ts';

/** What one maintenance pass did. */
export interface MaintenanceReport {
  /** Segments deleted by retention. */
  readonly deletedSegments: number;
  /** Segments rewritten by compaction. */
  readonly compactedSegments: number;
  /** Records dropped by compaction. */
  readonly removedRecords: number;
}

/** Apply retention, then compaction (for compacted topics), to every open partition. */
export async function runMaintenance(
  topics: readonly { info: TopicInfo; partitions: readonly Partition[] }[],
  o: ResolvedOptions,
): Promise<MaintenanceReport> {
  let deletedSegments = 0;
  let compactedSegments = 0;
  let removedRecords = 0;
  for (const { info, partitions } of topics) {
    for (const p of partitions) {
      if (p.closed) continue;
      deletedSegments += await applyRetention(p, info.config, o, Date.now());
      if (info.config.compaction?.enabled !== true || p.closed) continue;
      const r = await compactPartition(p, info.config, o, Date.now());
      compactedSegments += r.segments;
      removedRecords += r.removed;
    }
  }
  return { deletedSegments, compactedSegments, removedRecords };
}
