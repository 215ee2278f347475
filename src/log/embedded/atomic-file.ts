import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type FsOps, writeAll } from './fs-ops.ts';

/**
 * Replace `path` with `data` atomically and durably: write a temp file beside it, fsync it,
 * rename it over `path`, fsync the directory. After a crash the file holds the old or the new
 * content, never a mix.
 */
export async function writeFileAtomic(ops: FsOps, path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = await ops.open(tmp, 'w');
  try {
    await writeAll(ops, fd, [data], 0);
    await ops.fsync(fd);
  } finally {
    await ops.close(fd);
  }
  await ops.rename(tmp, path);
  await ops.fsyncDir(dirname(path));
}

/** Read a JSON file; undefined when it does not exist. */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}
