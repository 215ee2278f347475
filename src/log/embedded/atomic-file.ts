import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
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

/**
 * `mkdir -p` that is durable: when it created directories, fsync each parent from the new
 * directory's parent up to `root`, so the new entries survive power loss.
 */
export async function mkdirDurable(ops: FsOps, path: string, root: string): Promise<void> {
  const created = await mkdir(path, { recursive: true });
  if (created === undefined || !created.startsWith(root)) return;
  for (let d = path; ; d = dirname(d)) {
    await ops.fsyncDir(dirname(d));
    if (d === created || d.length <= root.length) break;
  }
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
