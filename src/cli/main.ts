import { Command } from 'commander';
import { isUnbundledError } from '../core/index.ts';
import { registerDlqCommands } from './commands/dlq.ts';
import { registerLogCommands } from './commands/log.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerSystemCommands } from './commands/system.ts';
import { registerTailCommand } from './commands/tail.ts';
import { registerViewsCommand } from './commands/views.ts';

/** Builds the `unbundled` command tree. Each command group lives in `commands/<group>.ts`. */
export function buildProgram(): Command {
  const program = new Command('unbundled')
    .description('The database, unbundled: a source of truth, a durable log and derived views.')
    .version('0.1.0')
    .option('-d, --data <dir>', 'data directory', process.env.UNBUNDLED_DATA ?? '.data');
  registerSystemCommands(program);
  registerDlqCommands(program);
  registerLogCommands(program);
  registerStatusCommand(program);
  registerViewsCommand(program);
  registerTailCommand(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (isUnbundledError(err)) {
      process.stderr.write(`error [${err.code}]: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

await main(process.argv);
