import type { TopicInfo } from '../types.ts';
import type { ResolvedOptions } from './options.ts';
import type { Partition } from './partition.ts';

/** What one maintenance pass did. */
export interface MaintenanceReport {
  /** Segments deleted by retention. */
  readonly deletedSegments: number;
  /** Segments rewritten by compaction. */
  readonly compactedSegments: number;
  /** Records dropped by compaction. */
  readonly removedRecords: number;
}

/** Apply retention, then compaction, to every partition. (Filled in by retention/compactor.) */
export async function runMaintenance(
  _topics: readonly { info: TopicInfo; partitions: readonly Partition[] }[],
  _o: ResolvedOptions,
): Promise<MaintenanceReport> {
  return { deletedSegments: 0, compactedSegments: 0, removedRecords: 0 };
}
