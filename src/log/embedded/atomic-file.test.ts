import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirDurable, writeFileAtomic } from './atomic-file.ts';
import { type FsOps, nodeFsOps } from './fs-ops.ts';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ub-atomic-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Records durability calls (a spy on the real file system). */
function spyFs() {
  const calls: string[] = [];
  const ops: FsOps = {
    ...nodeFsOps,
    fsync: (fd) => {
      calls.push('fsync');
      return nodeFsOps.fsync(fd);
    },
    rename: (a, b) => {
      calls.push(`rename ${b}`);
      return nodeFsOps.rename(a, b);
    },
    fsyncDir: (d) => {
      calls.push(`fsyncDir ${d}`);
      return nodeFsOps.fsyncDir(d);
    },
  };
  return { ops, calls };
}

describe('durable files', () => {
  it('mkdirDurable fsyncs the parent of every directory it created, and nothing when none', async () => {
    const { ops, calls } = spyFs();
    await mkdirDurable(ops, join(root, 'a', 'b', 'c'), root);
    expect(calls).toEqual([
      `fsyncDir ${join(root, 'a', 'b')}`,
      `fsyncDir ${join(root, 'a')}`,
      `fsyncDir ${root}`,
    ]);
    calls.length = 0;
    await mkdirDurable(ops, join(root, 'a', 'b', 'c'), root);
    expect(calls).toEqual([]);
  });

  it('writeFileAtomic: fsync the temp file, rename over, then fsync the directory', async () => {
    const { ops, calls } = spyFs();
    const file = join(root, 'x.json');
    await writeFileAtomic(ops, file, Buffer.from('{"a":1}'));
    expect(calls).toEqual(['fsync', `rename ${file}`, `fsyncDir ${root}`]);
    expect(await readFile(file, 'utf8')).toBe('{"a":1}');
  });
});
