import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ColumnMeta, Position } from '../core/index.ts';

/** Operator and input state of one view version, and the position it reflects. */
export interface Checkpoint {
  readonly version: string;
  readonly position: Position;
  /** `DataflowGraph.snapshot()`, base64. */
  readonly graph: string;
  /** InputTable snapshots by topic. */
  readonly tables: Readonly<Record<string, string>>;
  /** The table schema in force at `position`, by topic/partition (rows after it need it). */
  readonly schemas: Readonly<Record<string, readonly ColumnMeta[]>>;
}

export function checkpointPath(dataDir: string, view: string, version: string): string {
  return join(dataDir, 'checkpoints', view, `${version}.json`);
}

/** Write atomically: temp file, fsync, rename, fsync the directory. */
export async function saveCheckpoint(path: string, cp: Checkpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(cp));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function loadCheckpoint(path: string): Promise<Checkpoint | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Checkpoint;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
