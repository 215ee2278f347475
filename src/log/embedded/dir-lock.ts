import { unlinkSync } from 'node:fs';
import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnbundledError } from '../../core/index.ts';
import { LOG_ERROR_CODES } from '../errors.ts';

const openHere = new Set<string>();

/**
 * Take the data directory for this process: a `LOCK` file holding the owner's pid. A lock left
 * by a dead process (after a crash) is taken over; closing removes it. Two live owners would corrupt the segments.
 */
export async function lockDir(dir: string): Promise<() => void> {
  const real = await realpath(dir);
  const file = join(real, 'LOCK');
  const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  const alive = Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner);
  if (alive || openHere.has(real)) {
    throw new UnbundledError(
      LOG_ERROR_CODES.locked,
      `the log directory ${real} is open in ${alive ? `process ${owner}` : 'this process'}; ` +
        'close it there first (one owner at a time keeps segments consistent)',
      { details: { dir: real, pid: owner } },
    );
  }
  openHere.add(real);
  await writeFile(file, String(process.pid));
  return () => {
    openHere.delete(real);
    try {
      unlinkSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
