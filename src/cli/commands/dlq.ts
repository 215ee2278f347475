import { join } from 'node:path';
import type { Command } from 'commander';
import { fromUtf8, type LogRecord } from '../../core/index.ts';
import { openEmbeddedLog } from '../../log/index.ts';
import { DLQ_TOPIC, startSystem } from '../../system/index.ts';
import { loadSystem } from '../load-config.ts';
import { progressLine } from '../progress.ts';

/** Consumer group recording how far dead letters were replayed. */
const REPLAYED = 'unbundled-dlq-replayed';

/** `unbundled dlq list|show|replay`: inspect and reprocess dead letters. */
export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('dead letters: records a view could not process');
  dlq
    .command('list')
    .description('offset, view, stage and error of each dead letter not yet replayed')
    .option('--all', 'include dead letters already replayed')
    .action(async (opts: { all?: boolean }) => {
      const { letters, replayedTo } = await readLetters(program.opts().data, opts.all === true);
      if (letters.length === 0)
        console.log(`no dead letters${replayedTo > 0 ? ` after offset ${replayedTo}` : ''}`);
      for (const r of letters) {
        const e = parse(r);
        console.log(`${r.offset}\t${e.view}\t${e.stage}\t${e.error}`);
      }
    });
  dlq
    .command('show')
    .description('the whole dead letter at an offset, as JSON')
    .argument('<offset>', 'offset in the dead-letter topic')
    .action(async (offset: string) => {
      const { letters } = await readLetters(program.opts().data, true);
      const found = letters.find((r) => r.offset === Number(offset));
      if (!found)
        throw new Error(`no dead letter at offset ${offset} (see: unbundled dlq list --all)`);
      console.log(JSON.stringify(parse(found), null, 2));
    });
  dlq
    .command('replay')
    .description(
      'rebuild every view with unreplayed dead letters from the log (after a fix), then mark them replayed',
    )
    .argument('[config]', 'config file', 'unbundled.config.ts')
    .action(async (config: string) => {
      const data = program.opts().data;
      const { letters, end } = await readLetters(data, false);
      const views = [...new Set(letters.map((r) => parse(r).view))];
      if (views.length === 0) return console.log('nothing to replay');
      const system = await loadSystem(config);
      const rt = await startSystem(system, { dataDir: data, capture: false, views });
      try {
        for (const view of views) {
          const started = Date.now();
          await rt.rebuild(view, (s) => process.stderr.write(`\r${progressLine(s, started)}`));
          process.stderr.write('\n');
        }
        await rt.log.commitOffsets(REPLAYED, DLQ_TOPIC, { 0: end });
      } finally {
        await rt.stop();
      }
      console.log(`replayed ${letters.length} dead letters by rebuilding ${views.join(', ')}`);
    });
}

interface Letter {
  view: string;
  stage: string;
  error: string;
  [k: string]: unknown;
}

function parse(r: LogRecord): Letter {
  return JSON.parse(r.value === null ? '{}' : fromUtf8(r.value)) as Letter;
}

async function readLetters(dataDir: string, all: boolean) {
  const log = await openEmbeddedLog({ dir: join(dataDir, 'log'), readOnly: true });
  try {
    const topics = await log.listTopics();
    if (!topics.some((t) => t.name === DLQ_TOPIC)) return { letters: [], replayedTo: 0, end: 0 };
    const replayedTo = all ? 0 : ((await log.fetchOffsets(REPLAYED, DLQ_TOPIC))[0] ?? 0);
    const { end } = await log.offsets(DLQ_TOPIC, 0);
    const letters: LogRecord[] = [];
    for await (const batch of log.read(DLQ_TOPIC, 0, replayedTo, { follow: false }))
      letters.push(...batch);
    return { letters, replayedTo, end };
  } finally {
    await log.close();
  }
}
