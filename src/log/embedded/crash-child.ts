/**
 * Child process of crash.fault.test.ts: appends batches forever to the log in argv[2] with
 * several appends in flight (group commit), and reports on stdout (pipes are synchronous on
 * Linux, so a printed line is in the parent's pipe before the next one is written):
 *
 *   ready                       after the log is open (recovery done)
 *   sync <file> <bytes>         after an fsync/fdatasync of <file> completed, its size then
 *   ack <id> <base> <last> <n>  after append(batch <id> of n records) resolved
 *
 * Planted bugs for the test's own check (never set in normal runs), read only here:
 *   UNBUNDLED_PLANT_BUG=defer-write  writev to a segment claims success at once and writes 30 ms
 *                                    later
 *                                    (acknowledging before the write is issued)
 *   UNBUNDLED_PLANT_BUG=skip-fsync   fsync/fdatasync do nothing and report nothing
 */
import { fstatSync } from 'node:fs';
import { UnbundledError, utf8 } from '../../core/index.ts';
import { openEmbeddedLog } from './embedded-log.ts';
import { type FsOps, nodeFsOps } from './fs-ops.ts';

const [dir, runId] = process.argv.slice(2) as [string, string];
const bug = process.env.UNBUNDLED_PLANT_BUG ?? '';
const paths = new Map<number, string>();
const say = (line: string) => process.stdout.write(`${line}\n`);

function reportSync(fd: number): void {
  say(`sync ${paths.get(fd)} ${fstatSync(fd).size}`);
}

const ops: FsOps = {
  ...nodeFsOps,
  open: async (path, flags) => {
    const fd = await nodeFsOps.open(path, flags);
    paths.set(fd, path);
    return fd;
  },
  writev: (fd, buffers, position) => {
    if (bug !== 'defer-write' || !paths.get(fd)?.endsWith('.log')) {
      return nodeFsOps.writev(fd, buffers, position);
    }
    const copies = buffers.map((b) => Buffer.from(b));
    setTimeout(() => void nodeFsOps.writev(fd, copies, position), 30);
    return Promise.resolve(copies.reduce((n, b) => n + b.length, 0));
  },
  fdatasync: async (fd) => {
    if (bug === 'skip-fsync') return;
    await nodeFsOps.fdatasync(fd);
    reportSync(fd);
  },
  fsync: async (fd) => {
    if (bug === 'skip-fsync') return;
    await nodeFsOps.fsync(fd);
    if (paths.has(fd)) reportSync(fd);
  },
};

const quiet = { info() {}, warn() {}, error() {} };
const log = await openEmbeddedLog({
  dir,
  segmentBytes: 64 * 1024,
  maintenanceIntervalMs: 0,
  fs: ops,
  logger: quiet,
});
await log.ensureTopic('crash', { partitions: 1 });
say('ready');

let next = 0;
async function producer(): Promise<void> {
  for (;;) {
    const id = `${runId}-${next++}`;
    const n = 1 + Math.floor(Math.random() * 8);
    const pad = 'p'.repeat(Math.floor(Math.random() * 300));
    const batch = Array.from({ length: n }, (_, i) => ({
      key: utf8(id),
      value: utf8(`${id}:${i}/${n}:${pad}`),
    }));
    try {
      const r = await log.append('crash', 0, batch);
      say(`ack ${id} ${r.baseOffset} ${r.lastOffset} ${n}`);
    } catch (err) {
      if (!(err instanceof UnbundledError)) throw err;
    }
  }
}
await Promise.all(Array.from({ length: 4 }, producer));
