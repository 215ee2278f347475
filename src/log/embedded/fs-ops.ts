import * as fs from 'node:fs';
import { readdir } from 'node:fs/promises';

/**
 * The file operations the embedded log performs, as a seam. Production uses `nodeFsOps`;
 * tests wrap it to inject faults we cannot cause for real on this machine (EIO on fsync), or
 * to track what reached the disk. Only durability-relevant operations go through it.
 */
export interface FsOps {
  open(path: string, flags: string): Promise<number>;
  close(fd: number): Promise<void>;
  /** Write all of `buffers` at `position`; resolves with the bytes written (may be short). */
  writev(fd: number, buffers: readonly Uint8Array[], position: number): Promise<number>;
  read(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync a directory so that a create/rename/unlink in it is durable. */
  fsyncDir(path: string): Promise<void>;
}

function cb<T>(run: (done: (err: NodeJS.ErrnoException | null, v?: T) => void) => void) {
  return new Promise<T>((resolve, reject) =>
    run((err, v) => (err ? reject(err) : resolve(v as T))),
  );
}

/** The real file system (callback API: lower overhead than FileHandle on the hot path). */
export const nodeFsOps: FsOps = {
  open: (path, flags) => cb<number>((d) => fs.open(path, flags, 0o644, d)),
  close: (fd) => cb<void>((d) => fs.close(fd, d)),
  writev: (fd, buffers, position) =>
    cb<number>((d) => fs.writev(fd, buffers as NodeJS.ArrayBufferView[], position, d)),
  read: (fd, buffer, offset, length, position) =>
    cb<number>((d) => fs.read(fd, buffer, offset, length, position, d)),
  fdatasync: (fd) => cb<void>((d) => fs.fdatasync(fd, d)),
  fsync: (fd) => cb<void>((d) => fs.fsync(fd, d)),
  ftruncate: (fd, length) => cb<void>((d) => fs.ftruncate(fd, length, d)),
  rename: (from, to) => cb<void>((d) => fs.rename(from, to, d)),
  unlink: (path) => cb<void>((d) => fs.unlink(path, d)),
  fsyncDir: async (path) => {
    const fd = await cb<number>((d) => fs.open(path, 'r', d));
    try {
      await cb<void>((d) => fs.fsync(fd, d));
    } finally {
      await cb<void>((d) => fs.close(fd, d));
    }
  },
};

/** Write every byte of `buffers` at `position`, looping over short writes. */
export async function writeAll(
  ops: FsOps,
  fd: number,
  buffers: readonly Uint8Array[],
  position: number,
): Promise<number> {
  let total = 0;
  for (const b of buffers) total += b.length;
  let done = await ops.writev(fd, buffers, position);
  while (done < total) {
    const rest = remainingViews(buffers, done);
    done += await ops.writev(fd, rest, position + done);
  }
  return total;
}

function remainingViews(buffers: readonly Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of buffers) {
    if (skip >= b.length) skip -= b.length;
    else {
      out.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return out;
}

/** Read exactly `length` bytes at `position` (fewer only at end of file). */
export async function readAt(ops: FsOps, fd: number, length: number, position: number) {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = await ops.read(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** The size of an open descriptor's file. */
export function fileSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) =>
    fs.fstat(fd, (err, st) => (err ? reject(err) : resolve(st.size))),
  );
}

/** Names in a directory (empty when it does not exist). */
export async function listDir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}
