import { join } from 'node:path';
import { lockDir } from './dir-lock.ts';
import { fileSize, listDir } from './fs-ops.ts';
import { removeIndexFile } from './index-file.ts';
import { type EmbeddedLogOptions, resolveOptions } from './options.ts';
import { parseSegmentFileName } from './segment.ts';
import { scanSegment } from './segment-scan.ts';

/** One truncation made by `repairEmbeddedLog`. */
export interface RepairAction {
  readonly file: string;
  readonly position: number;
  readonly droppedBytes: number;
  readonly reason: string;
  /** Offset of the last record kept in that segment. */
  readonly lastKeptOffset: number;
}

/**
 * Scan every segment of every partition and truncate each damaged one at its first bad byte
 * (CRC mismatch, bad header, short frame). Records after that point in that segment are lost;
 * later segments are kept (their offsets stay; the partition has a gap). Only run it when asked
 * explicitly (`unbundled log repair --yes`): opening a log never skips damage on its own.
 * With `dryRun`, reports what it would do and changes nothing.
 */
export async function repairEmbeddedLog(
  options: EmbeddedLogOptions & { readonly dryRun?: boolean },
): Promise<RepairAction[]> {
  const o = resolveOptions(options);
  const unlock = await lockDir(o.dir);
  const actions: RepairAction[] = [];
  try {
    const topicsDir = join(o.dir, 'topics');
    for (const topic of await listDir(topicsDir)) {
      for (const part of await listDir(join(topicsDir, topic))) {
        const pdir = join(topicsDir, topic, part);
        for (const name of (await listDir(pdir)).sort()) {
          const base = parseSegmentFileName(name);
          if (base === undefined) continue;
          const action = await repairSegment(join(pdir, name), base, o, options.dryRun ?? false);
          if (action !== undefined) actions.push(action);
        }
      }
    }
  } finally {
    unlock();
  }
  return actions;
}

async function repairSegment(
  file: string,
  base: number,
  o: ReturnType<typeof resolveOptions>,
  dryRun: boolean,
): Promise<RepairAction | undefined> {
  const fd = await o.fs.open(file, dryRun ? 'r' : 'r+');
  try {
    const size = await fileSize(fd);
    const scan = await scanSegment(o.fs, fd, size, base, o.indexIntervalBytes);
    if (scan.problem === undefined) return undefined;
    const action = {
      file,
      position: scan.validBytes,
      droppedBytes: size - scan.validBytes,
      reason: scan.problem.reason,
      lastKeptOffset: scan.lastOffset,
    };
    if (!dryRun) {
      await removeIndexFile(o.fs, file);
      await o.fs.ftruncate(fd, scan.validBytes);
      await o.fs.fsync(fd);
      o.logger.warn(
        action,
        `repair: truncated ${file} at byte ${scan.validBytes}, dropping ${action.droppedBytes} bytes`,
      );
    }
    return action;
  } finally {
    await o.fs.close(fd);
  }
}
