/**
 * `npm run bench -- serve [clients…]`: fan-out and reads of src/serve, the load generator in
 * this process and the server (runtime + serve + a plain node:http "hello" baseline) in a child
 * process, so they do not share an event loop.
 *
 * - read_rps: keyed reads (GET /api/views/items/rows/:key) with 64 keep-alive connections;
 *   baseline_hello_rps: the same client against plain node:http answering "hello"; ratio_read.
 * - For each client count (default 1000 and 10000): hold that many SSE connections on the
 *   `items` view while writes run through the whole pipeline (PGlite → capture → log → view →
 *   SSE), 20 single-row transactions/s. delivery = client receipt − server commit time (`at`);
 *   write_to_client = client receipt − time just before the SQL write. sse_clients is the
 *   largest count whose p99 delivery stayed <= 100 ms.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { Agent, createServer, get, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './run.ts';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ready {
  url: string;
  hello: string;
}

async function child(): Promise<void> {
  const { serve } = await import('../src/serve/index.ts');
  const { ItemLoad, startTestSystem } = await import('../src/serve/test-support.ts');
  const rt = await startTestSystem(await mkdtemp(join(tmpdir(), 'bench-serve-')));
  const load = new ItemLoad(rt, { keys: 1000, seed: 9 });
  for (let i = 0; i < 100; i++) await load.tick(20);
  const sql = rt.source('main').sql;
  await sql.query(
    `insert into items select 'i' || g, 'c0', 'seed', 0 from generate_series(0, 999) g on conflict do nothing`,
  );
  while (rt.viewStatus().some((s) => s.lagRecords > 0)) await sleep(50);
  const http = await serve(rt, { port: 0, logger: false, readToken: null, adminToken: null });
  const hello = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('hello');
  });
  await new Promise<void>((r) => hello.listen(0, '127.0.0.1', r));
  const port = (hello.address() as { port: number }).port;
  process.send!({ url: http.url, hello: `http://127.0.0.1:${port}` } satisfies Ready);
  process.on('message', async (m: { type: string; count?: number; rate?: number }) => {
    if (m.type === 'write') {
      const gap = 1000 / (m.rate ?? 20);
      for (let i = 0; i < (m.count ?? 0); i++) {
        const t0 = now();
        await sql.query(
          `insert into items values ($1, 'c1', $2, $3) on conflict (id) do update set title = excluded.title, n = excluded.n`,
          [`w${i % 50}`, `t:${t0.toFixed(3)}`, i],
        );
        await sleep(Math.max(0, gap - (now() - t0)));
      }
      process.send!({ type: 'written' });
    }
    if (m.type === 'stop') {
      await http.close();
      hello.close();
      await rt.stop();
      process.exit(0);
    }
  });
}

/** Closed-loop GETs over `connections` keep-alive sockets for `ms`; returns requests/s. */
async function rps(url: (i: number) => string, connections: number, ms: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  let done = 0;
  let failed = 0;
  const end = Date.now() + ms;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const req = request(url(i), { agent }, (res) => {
        if (res.statusCode !== 200) failed++;
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', () => {
        failed++;
        resolve();
      });
      req.end();
    });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      for (let i = c; Date.now() < end; i += connections) {
        await one(i);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  if (failed > 0) throw new Error(`${failed} requests failed`);
  return done / seconds;
}

interface FanOut {
  clients: number;
  events: number;
  seconds: number;
  delivery: number[];
  writeToClient: number[];
}

/** Hold `n` SSE connections, run `writes` at `rate`/s in the child, measure delivery. */
async function fanOut(
  server: ChildProcess,
  base: string,
  n: number,
  writes: number,
  rate: number,
): Promise<FanOut> {
  const reqs: ReturnType<typeof get>[] = [];
  let connected = 0;
  let events = 0;
  let measuring = false;
  const delivery: number[] = [];
  const writeToClient: number[] = [];
  const open = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const sample = i % 10 === 0; // parse timestamps on one client in ten (generator CPU)
      const req = get(`${base}/api/views/items/changes`, { agent: false }, (res) => {
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          buf += chunk;
          for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
            const frame = buf.slice(0, end);
            buf = buf.slice(end + 2);
            if (frame.includes('event: resync')) {
              connected++;
              resolve();
            } else if (frame.includes('event: change') && measuring) {
              events++;
              if (!sample) continue;
              const t = now();
              const at = /"at":(\d+)/.exec(frame);
              if (at) delivery.push(Date.now() - Number(at[1]));
              const w = /"title":"t:([\d.]+)"/.exec(frame);
              if (w) writeToClient.push(t - Number(w[1]));
            }
          }
        });
      });
      req.on('error', reject);
      reqs.push(req);
    });
  for (let i = 0; i < n; i += 250)
    await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, k) => open(i + k)));
  if (connected !== n) throw new Error(`only ${connected}/${n} SSE clients connected`);
  await sleep(500);
  measuring = true;
  const t0 = performance.now();
  server.send({ type: 'write', count: writes, rate });
  await new Promise<void>((r) => server.once('message', () => r()));
  await sleep(1000); // let the last events arrive
  const seconds = (performance.now() - t0) / 1000;
  measuring = false;
  for (const r of reqs) r.destroy();
  await sleep(500);
  return { clients: n, events, seconds, delivery, writeToClient };
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export default async function bench(args: readonly string[]): Promise<BenchResult> {
  const levels = args.length > 0 ? args.map(Number) : [1000, 10_000];
  const server = fork(import.meta.filename, ['--serve-child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      server.once('message', (m) => resolve(m as Ready));
      server.once('exit', (code) => reject(new Error(`server process exited (${code})`)));
    });
    await rps(() => `${ready.hello}/`, 64, 1000); // warm up
    await rps((i) => `${ready.url}/api/views/items/rows/i${(i * 7919) % 1000}`, 64, 1000);
    const hello = await rps(() => `${ready.hello}/`, 64, 5000);
    const read = await rps(
      (i) => `${ready.url}/api/views/items/rows/i${(i * 7919) % 1000}`,
      64,
      5000,
    );
    const runs: FanOut[] = [];
    for (const n of levels) runs.push(await fanOut(server, ready.url, n, 160, 20));
    const ok = runs.filter((r) => pct(r.delivery, 99) <= 100);
    const best = ok.at(-1) ?? runs[0]!;
    const table = [
      [
        'measure',
        'clients',
        'events/s',
        'delivery p50 ms',
        'delivery p99 ms',
        'write→client p50 ms',
        'write→client p99 ms',
      ],
      ...runs.map((r) => [
        'sse fan-out',
        String(r.clients),
        (r.events / r.seconds).toFixed(0),
        pct(r.delivery, 50).toFixed(1),
        pct(r.delivery, 99).toFixed(1),
        pct(r.writeToClient, 50).toFixed(1),
        pct(r.writeToClient, 99).toFixed(1),
      ]),
      ['keyed reads rps', '64', read.toFixed(0), '', '', '', ''],
      ['node:http hello rps', '64', hello.toFixed(0), '', '', '', ''],
    ];
    return {
      table,
      figures: {
        sse_clients: ok.length > 0 ? best.clients : 0,
        sse_events_per_s: Math.round(best.events / best.seconds),
        sse_delivery_p50_ms: Number(pct(best.delivery, 50).toFixed(1)),
        sse_delivery_p99_ms: Number(pct(best.delivery, 99).toFixed(1)),
        write_to_client_p50_ms: Number(pct(best.writeToClient, 50).toFixed(1)),
        write_to_client_p99_ms: Number(pct(best.writeToClient, 99).toFixed(1)),
        read_rps: Math.round(read),
        baseline_hello_rps: Math.round(hello),
        ratio_read: Number((read / hello).toFixed(2)),
      },
    };
  } finally {
    server.send({ type: 'stop' });
    await new Promise((r) => server.once('exit', r));
  }
}

if (process.argv[2] === '--serve-child') await child();
