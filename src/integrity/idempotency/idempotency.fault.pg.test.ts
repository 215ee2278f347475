import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type PostgresInstance, startPostgres } from '../../testing/index.ts';

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));
const KILLS = Number(process.env.UNBUNDLED_FAULT_ITERATIONS ?? 5);
const REQUESTS = Number(process.env.UNBUNDLED_RETRY_STORM_REQUESTS ?? 1000);

let server: PostgresInstance;
let pool: pg.Pool;
beforeAll(async () => {
  server = await startPostgres();
  pool = new pg.Pool({ connectionString: server.url, max: 2 });
  pool.on('error', () => {}); // idle clients are terminated when the server stops at the end
  await pool.query(
    'CREATE TABLE orders (id serial PRIMARY KEY, sku text NOT NULL, request_id text)',
  );
});
afterAll(async () => {
  await pool?.end();
  await server?.stop();
});

function startChild(): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, server.url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server child exited early (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
  });
  return { child, port };
}

// Planted bug, seen failing: with the stored-response lookup skipped and the key insert
// overwriting live rows, all 300 request ids had 2+ orders (2 kills, 300 requests).
// 5 kills by default; UNBUNDLED_FAULT_ITERATIONS=50 UNBUNDLED_RETRY_STORM_REQUESTS=5000 for the
// issue's campaign (each request is answered twice, so 10,000+ requests are sent).
it(
  `retry storm against a server SIGKILLed ${KILLS} times: each request takes effect once`,
  async () => {
    let current = startChild();
    let port: number | undefined = await current.port;
    let sent = 0;
    const bodies = new Map<number, Set<string>>();
    const statuses = new Map<number, number>();
    const killer = (async () => {
      for (let k = 0; k < KILLS; k++) {
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 600));
        port = undefined;
        current.child.kill('SIGKILL');
        await new Promise((r) => current.child.once('exit', r));
        current = startChild();
        port = await current.port;
      }
    })();

    async function send(n: number): Promise<Response | undefined> {
      if (port === undefined) return undefined;
      sent++;
      try {
        return await fetch(`http://127.0.0.1:${port}/orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': `order-${n}`,
            'x-client-id': 'storm',
          },
          body: JSON.stringify({ sku: `sku-${n}` }),
          signal: AbortSignal.timeout(5000),
        });
      } catch {
        return undefined; // connection reset by the kill: retry
      }
    }

    async function client(n: number, replays: number): Promise<void> {
      let answered = 0;
      for (let attempt = 0; answered <= replays; attempt++) {
        const res = await send(n);
        if (res === undefined || res.status === 409 || res.status >= 502) {
          await res?.arrayBuffer();
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(300, 10 * 2 ** attempt)));
          continue;
        }
        const seen = bodies.get(n) ?? new Set<string>();
        seen.add(Buffer.from(await res.arrayBuffer()).toString('base64'));
        bodies.set(n, seen);
        statuses.set(n, res.status);
        answered++;
      }
    }

    const ids = Array.from({ length: REQUESTS }, (_, i) => i);
    const lanes = 32;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (const n of ids.filter((i) => i % lanes === lane)) await client(n, 1);
      }),
    );
    await killer;
    const exited = new Promise((r) => current.child.once('exit', r));
    current.child.kill('SIGKILL');
    await exited;

    const { rows } = await pool.query<{ request_id: string; n: string }>(
      'SELECT request_id, count(*) AS n FROM orders GROUP BY request_id',
    );
    expect(rows).toHaveLength(REQUESTS);
    expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    for (const [n, seen] of bodies) {
      expect(seen.size, `request ${n} saw different bodies`).toBe(1);
      expect(statuses.get(n)).toBe(201);
    }
    expect(sent).toBeGreaterThanOrEqual(2 * REQUESTS);
  },
  120_000 + KILLS * 5_000,
);
