import type { Command } from 'commander';
import { fetchServer, type ServerOptions, serverOptions, table } from './status.ts';

/** `unbundled views`: the views a running server serves, with store, phase and lag. */
export function registerViewsCommand(program: Command): void {
  serverOptions(program.command('views'))
    .description('list the views of a running server')
    .action(async (o: ServerOptions) => {
      const [list, status] = await Promise.all([
        fetchServer(o, '/api/views').then(
          (r) =>
            r.json() as Promise<{
              views: { name: string; store: string; searchable: boolean; topics: string[] }[];
            }>,
        ),
        fetchServer(o, '/api/status').then(
          (r) =>
            r.json() as Promise<{
              views: { name: string; phase: string; version: string; lagRecords: number }[];
            }>,
        ),
      ]);
      const byName = new Map(status.views.map((v) => [v.name, v]));
      process.stdout.write(
        table(
          ['VIEW', 'STORE', 'PHASE', 'VERSION', '>LAG', 'SEARCH', 'READS'],
          list.views.map((v) => {
            const s = byName.get(v.name);
            return [
              v.name,
              v.store,
              s?.phase ?? '-',
              s?.version.slice(0, 8) ?? '-',
              String(s?.lagRecords ?? '-'),
              v.searchable ? 'yes' : '-',
              v.topics.join(', '),
            ];
          }),
        ),
      );
    });
}
