import type { Command } from 'commander';

/** `unbundled log …`: look at and repair an embedded log data directory. */
export function registerLogCommands(program: Command): void {
  program.command('log').description('inspect the embedded log (tail, stats, repair)');
}
