/**
 * Child process for the view crash tests: opens a view version, resumes from its committed
 * position and applies the deterministic crash batches until it is SIGKILLed.
 * Usage: tsx crash-child.ts postgres <url> | search <dir> | duckdb <file>
 */
import { createDuckDbView } from './analytics/duckdb-view.ts';
import {
  batchesAt,
  CRASH_COLUMNS,
  type CrashRow,
  crashBatch,
  crashPosition,
  searchCrashOptions,
} from './crash-batches.ts';
import { createPostgresView } from './postgres/postgres-view.ts';
import { createSearchView } from './search/search-view.ts';
import type { VersionedView } from './types.ts';

async function main(): Promise<void> {
  const [kind, target] = process.argv.slice(2);
  const view = await openView(kind!, target!);
  const store = view.version('v1');
  let next = batchesAt((await store.open()).position);
  process.stdout.write(`ready ${next}\n`);
  for (;;) {
    await store.apply(crashBatch(next), crashPosition(next));
    next++;
  }
}

async function openView(kind: string, target: string): Promise<VersionedView<CrashRow>> {
  if (kind === 'postgres') {
    return createPostgresView<CrashRow>('crash', {
      connectionString: target,
      columns: CRASH_COLUMNS,
    });
  }
  if (kind === 'duckdb') {
    return createDuckDbView<CrashRow>('crash', { path: target, columns: CRASH_COLUMNS });
  }
  if (kind === 'search') return createSearchView<CrashRow>('crash', searchCrashOptions(target));
  throw new Error(`unknown store kind ${kind}`);
}

main().catch((err) => {
  process.stderr.write(`${String(err?.stack ?? err)}\n`);
  process.exit(1);
});
