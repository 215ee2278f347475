import type { Command } from 'commander';
import { UnbundledError } from '../../core/index.ts';

/** Where the CLI finds a running server: `--url` / UNBUNDLED_URL, `--token` / UNBUNDLED_READ_TOKEN. */
export interface ServerOptions {
  readonly url: string;
  readonly token?: string;
}

/** Add `--url` and `--token` to a command that talks to a running server. */
export function serverOptions(cmd: Command): Command {
  return cmd
    .option('--url <url>', 'server base URL', process.env.UNBUNDLED_URL ?? 'http://127.0.0.1:3000')
    .option(
      '--token <token>',
      'read token (default: env UNBUNDLED_READ_TOKEN)',
      process.env.UNBUNDLED_READ_TOKEN,
    );
}

/**
 * GET a path of a running server. The CLI talks HTTP because a running runtime holds the data
 * directory's lock. Errors say what to do (start a server, pass --url, pass --token).
 */
export async function fetchServer(
  o: ServerOptions,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const base = o.url.replace(/\/$/, '');
  let res: Response;
  try {
    res = await fetch(base + path, {
      ...init,
      headers: {
        ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
  } catch (cause) {
    throw new UnbundledError(
      'CLI_SERVER_UNREACHABLE',
      `no unbundled server answers at ${base}: start one (npm start / unbundled start) or pass --url`,
      { cause },
    );
  }
  if (res.status === 401 || res.status === 403)
    throw new UnbundledError(
      'CLI_TOKEN',
      `the server at ${base} refused the request (HTTP ${res.status}): pass --token or set UNBUNDLED_READ_TOKEN`,
    );
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new UnbundledError(
      'CLI_REQUEST_FAILED',
      `${path}: HTTP ${res.status} ${body?.error?.message ?? ''}`.trim(),
    );
  }
  return res;
}

/** Left-aligned text table; columns whose header starts with '>' are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const right = headers.map((h) => h.startsWith('>'));
  const names = headers.map((h) => h.replace(/^>/, ''));
  const widths = names.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(names), ...rows.map(line)].join('\n') + '\n';
}

interface StatusBody {
  system: string;
  sources: { name: string; engine: string | null; tables: { table: string; topic: string }[] }[];
  topics: { name: string; partitions: { partition: number; beginning: number; end: number }[] }[];
  views: {
    name: string;
    store: string;
    phase: string;
    version: string;
    appliedRecords: number;
    lagRecords: number;
    lagMs: number;
    sinceCommitMs: number | null;
    recordsPerSecond: number[];
    rebuild: { done: number; total: number } | null;
    deadLetters: number;
    sseClients: number;
  }[];
  deadLetters: number;
}

const n = (x: number) => x.toLocaleString('en');
const ms = (x: number | null) =>
  x === null ? '-' : x < 1000 ? `${x}ms` : `${(x / 1000).toFixed(1)}s`;

/** Render `/api/status` as tables: views, topics, sources. */
export function renderStatus(s: StatusBody): string {
  const live = s.views.filter((v) => v.phase === 'live').length;
  const head = `system ${s.system}   views live ${live}/${s.views.length}   dead letters ${n(s.deadLetters)}\n\n`;
  const views = table(
    [
      'VIEW',
      'STORE',
      'PHASE',
      'VERSION',
      '>APPLIED',
      '>LAG',
      '>LAG TIME',
      '>LAST COMMIT',
      '>REC/S',
      'REBUILD',
      '>DLQ',
      '>CLIENTS',
    ],
    s.views.map((v) => [
      v.name,
      v.store,
      v.phase,
      v.version.slice(0, 8),
      n(v.appliedRecords),
      n(v.lagRecords),
      ms(v.lagMs),
      v.sinceCommitMs === null ? '-' : `${ms(v.sinceCommitMs)} ago`,
      n(v.recordsPerSecond.at(-1) ?? 0),
      v.rebuild ? `${v.rebuild.done}/${v.rebuild.total}` : '-',
      n(v.deadLetters),
      n(v.sseClients),
    ]),
  );
  const topics = table(
    ['TOPIC', '>PARTITIONS', '>RECORDS', 'END OFFSETS'],
    s.topics.map((t) => [
      t.name,
      String(t.partitions.length),
      n(t.partitions.reduce((a, p) => a + p.end - p.beginning, 0)),
      t.partitions.map((p) => p.end).join(','),
    ]),
  );
  const sources = table(
    ['SOURCE', 'ENGINE', 'TABLES'],
    s.sources.map((x) => [x.name, x.engine ?? '-', x.tables.map((t) => t.table).join(', ')]),
  );
  return `${head}${views}\n${topics}\n${sources}`;
}

/** `unbundled status`: the same data as GET /api/status, as tables (or --json). */
export function registerStatusCommand(program: Command): void {
  serverOptions(program.command('status'))
    .description('show sources, topics and views of a running server (lag, position, dead letters)')
    .option('--json', 'print the raw JSON', false)
    .action(async (o: ServerOptions & { json: boolean }) => {
      const body = (await (await fetchServer(o, '/api/status')).json()) as StatusBody;
      process.stdout.write(o.json ? `${JSON.stringify(body, null, 2)}\n` : renderStatus(body));
    });
}
