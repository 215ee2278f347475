import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UnbundledError } from '../../core/index.ts';

/** Name of the lock file inside a PGlite data directory. */
export const LOCK_FILE = 'unbundled-capture.lock';

/**
 * Take a PGlite data directory for this process: PGlite has no lock of its own and two
 * processes opening one directory corrupt it. Creates `<dataDir>/unbundled-capture.lock`
 * exclusively with our pid; a lock whose process is gone (a crash) is taken over.
 * Returns the release function (removes the file).
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => unlinkQuietly(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(readQuietly(file).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new UnbundledError(
        'CAPTURE_PGLITE_LOCKED',
        `the PGlite data directory ${dataDir} is in use by ${owner === process.pid ? 'this process' : `process ${owner}`}; PGlite allows one owner (two corrupt it): stop the other one, or share its PGlite instance`,
        { details: { dataDir, pid: owner } },
      );
    }
    unlinkQuietly(file); // stale: its owner died
  }
  throw new UnbundledError('CAPTURE_PGLITE_LOCKED', `could not take the lock ${file}; retry`, {
    retryable: true,
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readQuietly(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
