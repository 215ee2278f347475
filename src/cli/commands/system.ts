import type { Command } from 'commander';
import { serve } from '../../serve/index.ts';
import { buildViewGraph, startSystem, type ViewStatus } from '../../system/index.ts';
import { loadSystem } from '../load-config.ts';
import { progressLine } from '../progress.ts';

/** `unbundled start|plan|rebuild`: run a system, show its plan, rebuild a view from the log. */
export function registerSystemCommands(program: Command): void {
  program
    .command('start')
    .description('run a system: capture its sources and keep every view up to date')
    .argument('[config]', 'config file', 'unbundled.config.ts')
    .action(async (config: string) => {
      const system = await loadSystem(config);
      const rt = await startSystem(system, {
        dataDir: program.opts().data,
        onEvent: (e) => {
          if (e.type === 'view-phase')
            console.log(`view ${e.view}: ${e.phase}${e.detail ? ` (${e.detail})` : ''}`);
          else console.error(`${e.type}: ${e.error.message}`);
        },
      });
      const http = await serve(rt, {
        port: process.env.PORT ?? 3000,
        host: process.env.HOST ?? '127.0.0.1',
      });
      console.log(
        `${system.name} running; dashboard ${http.url}; data in ${rt.dataDir}; Ctrl-C to stop`,
      );
      const stop = async () => {
        await http.close();
        await rt.stop();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await rt.done.catch((err: Error) => {
        console.error(`stopped: ${err.message}`);
        process.exitCode = 1;
      });
    });

  program
    .command('plan')
    .description('print the dataflow of each view and whether it needs a rebuild')
    .argument('[config]', 'config file', 'unbundled.config.ts')
    .action(async (config: string) => {
      const system = await loadSystem(config);
      for (const [name, def] of Object.entries(system.views)) {
        const g = buildViewGraph(system, name, def);
        const store = def.store.create(name, { dataDir: program.opts().data, env: process.env });
        const live = await store.liveVersion().catch(() => null);
        await store.close().catch(() => {});
        const state =
          live === null
            ? 'new: built from the log on start'
            : live.split('.')[0] === g.version
              ? `up to date (live ${live})`
              : `definition changed: rebuilt beside live ${live} on start`;
        console.log(`${name}  [${def.store.kind}]  version ${g.version}  ${state}`);
        for (const input of g.inputs.values())
          console.log(`  ← ${input.source}.${input.table.name}  (topic ${input.topic})`);
        console.log(`  operators: ${g.graph.operatorLabels().join(' → ')}`);
      }
    });

  program
    .command('rebuild')
    .description('rebuild a view from the log beside the live one, then swap it in atomically')
    .argument('<view>', 'view name')
    .argument('[config]', 'config file', 'unbundled.config.ts')
    .action(async (view: string, config: string) => {
      const system = await loadSystem(config);
      const rt = await startSystem(system, {
        dataDir: program.opts().data,
        capture: false,
        views: [view],
      });
      const started = Date.now();
      try {
        const version = await rt.rebuild(view, (s: ViewStatus) => {
          process.stderr.write(`\r${progressLine(s, started)}`);
        });
        process.stderr.write(`\n${view}: version ${version} is live\n`);
      } finally {
        await rt.stop();
      }
    });
}
