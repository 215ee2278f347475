import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { LogRecord } from '../../core/index.ts';
import { type EmbeddedLog, openEmbeddedLog, repairEmbeddedLog } from '../../log/index.ts';

/**
 * Where the embedded log of a data directory lives: `<data>/log`, or `<data>` itself when it
 * already is a log directory (has `topics/`).
 */
export function embeddedLogDir(data: string): string {
  return existsSync(join(data, 'topics')) ? data : join(data, 'log');
}

/** `unbundled log …`: look at and repair an embedded log data directory. */
export function registerLogCommands(program: Command): void {
  const log = program.command('log').description('inspect the embedded log (tail, stats, repair)');
  const dirOf = () => embeddedLogDir(String(program.opts().data));

  log
    .command('tail <topic>')
    .description('print records: offset, key, value (UTF-8 as JSON string, else 0x hex), headers')
    .option('-p, --partition <n>', 'partition', '0')
    .option('--from <n>', 'first offset (default: the beginning)')
    .option('-f, --follow', 'keep waiting for new records (Ctrl-C to stop)', false)
    .action(async (topic: string, opts: { partition: string; from?: string; follow: boolean }) => {
      await withLog(dirOf(), async (l) => {
        const partition = Number(opts.partition);
        const from =
          opts.from === undefined
            ? (await l.offsets(topic, partition)).beginning
            : Number(opts.from);
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        for await (const batch of l.read(topic, partition, from, {
          follow: opts.follow,
          signal: ac.signal,
        })) {
          process.stdout.write(batch.map(formatRecord).join(''));
        }
      });
    });

  log
    .command('stats')
    .description('per topic/partition: segments, bytes, beginning/end offsets, records')
    .option('--json', 'print JSON instead of a table', false)
    .action(async (opts: { json: boolean }) => {
      await withLog(dirOf(), async (l) => {
        const rows = await statsRows(l);
        process.stdout.write(opts.json ? `${JSON.stringify(rows)}\n` : formatTable(rows));
      });
    });

  log
    .command('repair')
    .description('truncate damaged segments at the first bad byte (only with --yes)')
    .option('--yes', 'really truncate (without it, only report)', false)
    .action(async (opts: { yes: boolean }) => {
      const actions = await repairEmbeddedLog({
        dir: dirOf(),
        dryRun: !opts.yes,
        logger: quietLogger,
      });
      if (actions.length === 0) {
        process.stdout.write('no damage found\n');
        return;
      }
      for (const a of actions) {
        const verb = opts.yes ? 'truncated' : 'would truncate';
        process.stdout.write(
          `${verb} ${a.file} at byte ${a.position} (${a.reason}): ${a.droppedBytes} bytes dropped, last kept offset ${a.lastKeptOffset}\n`,
        );
      }
      if (!opts.yes) {
        process.stdout.write('nothing changed; run again with --yes to truncate\n');
        process.exitCode = 1;
      }
    });
}

const quietLogger = { info() {}, warn() {}, error() {} };

async function withLog(dir: string, run: (log: EmbeddedLog) => Promise<void>): Promise<void> {
  const log = await openEmbeddedLog({ dir, readOnly: true, logger: stderrLogger });
  try {
    await run(log);
  } finally {
    await log.close();
  }
}

const stderrLogger = {
  info: (_o: object, msg: string) => process.stderr.write(`${msg}\n`),
  warn: (_o: object, msg: string) => process.stderr.write(`warning: ${msg}\n`),
  error: (_o: object, msg: string) => process.stderr.write(`error: ${msg}\n`),
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as a JSON string when they are valid UTF-8, else `0x…` hex; `null` for null. */
export function formatBytes(b: Uint8Array | null): string {
  if (b === null) return 'null';
  try {
    return JSON.stringify(strictUtf8.decode(b));
  } catch {
    return `0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')}`;
  }
}

function formatRecord(r: LogRecord): string {
  const headers = Object.keys(r.headers).length === 0 ? '' : `\t${JSON.stringify(r.headers)}`;
  return `${r.offset}\t${formatBytes(r.key)}\t${formatBytes(r.value)}${headers}\n`;
}

interface StatsRow {
  topic: string;
  partition: number;
  segments: number;
  bytes: number;
  beginning: number;
  end: number;
  records: number;
}

async function statsRows(log: EmbeddedLog): Promise<StatsRow[]> {
  const rows: StatsRow[] = [];
  for (const t of await log.listTopics()) {
    for (const p of log.partitions(t.name)) {
      const segs = p.segments;
      rows.push({
        topic: t.name,
        partition: p.id,
        segments: segs.length,
        bytes: segs.reduce((n, s) => n + s.size, 0),
        beginning: p.beginningOffset,
        end: p.endOffset,
        records: segs.reduce((n, s) => n + s.records, 0),
      });
    }
  }
  return rows;
}

function formatTable(rows: StatsRow[]): string {
  const head = ['topic', 'partition', 'segments', 'bytes', 'beginning', 'end', 'records'] as const;
  const cells = [head.map(String), ...rows.map((r) => head.map((h) => String(r[h])))];
  const widths = head.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  return (
    cells
      .map((c) =>
        c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '),
      )
      .join('\n') + '\n'
  );
}
