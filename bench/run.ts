/**
 * Benchmark runner: `npm run bench -- <suite> [args…]` loads `bench/<suite>.ts` and calls its
 * default export, a `BenchSuite`. It prints the suite's table, then, as the LAST line, one JSON
 * object of figures (for scripts and CI). Add a suite by adding `bench/<name>.ts`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What a suite returns: rows for the human table and the flat figures for the JSON line. */
export interface BenchResult {
  /** Header row first. */
  readonly table: readonly (readonly string[])[];
  readonly figures: Readonly<Record<string, number | string>>;
}

/** A benchmark suite module's default export. */
export type BenchSuite = (args: readonly string[]) => Promise<BenchResult>;

/** Render rows as an aligned text table (numbers right-aligned). */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) =>
        /^[\d.,-]+( ?\w+\/?s?)?$/.test(c) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!),
      )
      .join('  ');
  return [
    line(rows[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

function suites(): string[] {
  return readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .map((f) => f.slice(0, -3));
}

async function main(argv: readonly string[]): Promise<void> {
  const [name, ...args] = argv;
  const file = join(import.meta.dirname, `${name}.ts`);
  if (name === undefined || !existsSync(file) || name === 'run') {
    process.stderr.write(
      `usage: npm run bench -- <suite> [args]\nsuites: ${suites().join(', ')}\n`,
    );
    process.exit(2);
  }
  const suite = (await import(pathToFileURL(file).href)) as { default: BenchSuite };
  process.stderr.write(
    `bench ${name}: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}\n`,
  );
  const result = await suite.default(args);
  process.stdout.write(`${formatTable(result.table)}\n`);
  process.stdout.write(`${JSON.stringify({ suite: name, ...result.figures })}\n`);
}

await main(process.argv.slice(2));
