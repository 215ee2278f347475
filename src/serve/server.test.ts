import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePositionToken } from '../core/index.ts';
import type { Runtime } from '../system/index.ts';
import { LiveView } from './client.ts';
import { createLogger, redactUrl } from './logger.ts';
import { type ServeHandle, serve } from './server.ts';
import { ItemLoad, settle, startTestSystem } from './test-support.ts';

let dir: string;
let rt: Runtime;
let http: ServeHandle;
let secured: ServeHandle;
let load: ItemLoad;
const TOPIC = 'main.public.items';

async function get(path: string, init: RequestInit = {}, base = http.url) {
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function endToken(): Promise<string> {
  const { end } = await rt.log.offsets(TOPIC, 0);
  return encodePositionToken({ [`${TOPIC}/0`]: end });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'serve-api-'));
  rt = await startTestSystem(dir);
  load = new ItemLoad(rt, { keys: 300, seed: 3 });
  for (let i = 0; i < 20; i++) await load.tick(10);
  http = await serve(rt, {
    port: 0,
    logger: false,
    readToken: null,
    adminToken: null,
    waitTimeoutMs: 5_000,
  });
  secured = await serve(rt, {
    port: 0,
    logger: false,
    readToken: 'r-secret',
    adminToken: 'a-secret',
  });
  await settle(rt);
  expect((await get(`/api/views/items?limit=1&after=${await endToken()}`)).status).toBe(200);
});

afterAll(async () => {
  await http?.close();
  await secured?.close();
  await rt?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('status', () => {
  it('serves healthz and a full status', async () => {
    expect((await get('/healthz')).body).toEqual({ ok: true, system: 'servetest' });
    const { body } = await get('/api/status');
    expect(body.sources[0]).toMatchObject({
      name: 'main',
      engine: 'pglite',
      tables: [{ table: 'items', topic: TOPIC }],
    });
    const topic = body.topics.find((t: { name: string }) => t.name === TOPIC);
    expect(topic.partitions[0].end).toBeGreaterThan(0);
    const items = body.views.find((v: { name: string }) => v.name === 'items');
    expect(items).toMatchObject({ store: 'memory', phase: 'live', deadLetters: 0, rebuild: null });
    expect(items.version).toMatch(/^[0-9a-f]+$/);
    expect(items.offsets[`${TOPIC}/0`]).toBeGreaterThan(0);
    expect(typeof items.lagRecords).toBe('number');
    expect(typeof items.lagMs).toBe('number');
  });

  it('describes the plan: source → topic → operators → view', async () => {
    const { body } = await get('/api/plan');
    const ids = body.nodes.map((n: { id: string }) => n.id);
    expect(ids).toContain('source:main');
    expect(ids).toContain(`topic:${TOPIC}`);
    expect(ids).toContain('view:per_category');
    const edges = body.edges.map(([a, b]: [string, string]) => `${a} -> ${b}`);
    expect(edges).toContain(`source:main -> topic:${TOPIC}`);
    const groupBy = body.nodes.find(
      (n: { label: string; view?: string }) => n.label === 'groupBy' && n.view === 'per_category',
    );
    expect(edges.some((e: string) => e.endsWith(`-> ${groupBy.id}`))).toBe(true);
  });

  it('exports metrics in Prometheus format', async () => {
    const { status, body } = await get('/metrics');
    expect(status).toBe(200);
    expect(body).toContain('unbundled_view_lag_records{view="items"}');
    expect(body).toContain('unbundled_view_records_in_total{view="items"}');
    expect(body).toContain('unbundled_dead_letters');
  });
});

describe('reads', () => {
  it('pages through a view with limit and cursor, in key order, without overlap', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { status, body } = await get(
        `/api/views/items?limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(status).toBe(200);
      expect(body.rows.length).toBeLessThanOrEqual(7);
      for (const r of body.rows) seen.push(r.key);
      cursor = body.cursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    const all = await rt.view('items').scan({ limit: 10_000 });
    expect(seen).toEqual(all.rows.map((r) => r.key));
  });

  it('reads one row by key, and 404s an unknown key naming it', async () => {
    const first = (await rt.view('items').scan({ limit: 1 })).rows[0]!;
    const { status, body } = await get(`/api/views/items/rows/${first.key}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ view: 'items', key: first.key, row: first.row, stale: false });
    const missing = await get('/api/views/items/rows/no-such-key');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('no-such-key');
  });

  it('searches a search view with q', async () => {
    const { status, body } = await get('/api/views/item_search?q=shoe&limit=5');
    expect(status).toBe(200);
    expect(body.hits.length).toBeGreaterThan(0);
    for (const h of body.hits) expect(h.row.title).toContain('shoe');
  });

  it.each([
    ['/api/views/items?limit=abc', 'limit'],
    ['/api/views/items?limit=0', 'limit'],
    ['/api/views/items?limit=100000', 'limit'],
    ['/api/views/items?limt=5', 'limt'],
    ['/api/views/items?after=not-a-token', 'after'],
    ['/api/views/items?timeout_ms=-1', 'timeout_ms'],
    ['/api/views/items?stale=yes', 'stale'],
    ['/api/views/items?q=shoe', 'search'],
    ['/api/views/item_search?q=shoe&cursor=x', 'cursor'],
    ['/api/views/items/rows/x?limit=3', 'limit'],
    ['/api/views/items/changes?from=garbage', 'from'],
  ])('answers 400 naming the problem: %s', async (path, word) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.error.message).toContain(word);
  });

  it('answers 400 for a bad Last-Event-ID', async () => {
    const { status, body } = await get('/api/views/items/changes', {
      headers: { 'last-event-id': '%%%' },
    });
    expect(status).toBe(400);
    expect(body.error.message).toContain('Last-Event-ID');
  });

  it.each([
    '/api/views/nope',
    '/api/views/nope/rows/1',
    '/api/views/nope/changes',
    '/api/views/bad%20name',
    '/api/nothing',
  ])('answers 404 for %s', async (path) => {
    const { status, body } = await get(path);
    expect(status).toBe(404);
    expect(body.error.code).toBeDefined();
  });
});

describe('read your writes (?after=)', () => {
  it('waits until the view covers the token, then shows the write', async () => {
    // The write path that returns tokens comes later (integrity); here the token is the log end
    // once capture has relayed the write, which is what that path will return.
    const before = (await rt.log.offsets(TOPIC, 0)).end;
    await rt
      .source('main')
      .sql.query(
        `insert into items values ('ryw', 'c9', 'fresh write', 1) on conflict (id) do update set n = items.n + 1`,
      );
    while ((await rt.log.offsets(TOPIC, 0)).end === before)
      await new Promise((r) => setTimeout(r, 5));
    const token = await endToken();
    const { status, body } = await get(`/api/views/items/rows/ryw?after=${token}`);
    expect(status).toBe(200);
    expect(body.row.title).toBe('fresh write');
    expect(body.stale).toBe(false);
  });

  it('times out with 504 and the current position, or serves stale data with stale=ok', async () => {
    const { end } = await rt.log.offsets(TOPIC, 0);
    const future = encodePositionToken({ [`${TOPIC}/0`]: end + 1_000_000 });
    const late = await get(`/api/views/items?limit=1&after=${future}&timeout_ms=200`);
    expect(late.status).toBe(504);
    expect(late.body.error.code).toBe('VIEW_NOT_CAUGHT_UP');
    expect(late.body.error.position).toMatch(/^[A-Za-z0-9_-]+$/);
    const stale = await get(`/api/views/items?limit=1&after=${future}&timeout_ms=200&stale=ok`);
    expect(stale.status).toBe(200);
    expect(stale.body.stale).toBe(true);
  });

  it('ignores partitions of topics the view does not read', async () => {
    const other = encodePositionToken({ 'some.other.topic/0': 99 });
    const { status, body } = await get(`/api/views/items?limit=1&after=${other}&timeout_ms=200`);
    expect(status).toBe(200);
    expect(body.stale).toBe(false);
  });
});

describe('rebuild', () => {
  it('starts a rebuild (202), shows progress, and resyncs live clients onto the new version', async () => {
    const client = new LiveView<unknown>({
      url: http.url,
      view: 'per_category',
      reconnectDelayMs: 5,
    });
    await client.ready;
    const before = rt.runner('per_category');
    const admin = await serve(rt, { port: 0, logger: false, readToken: null, adminToken: 'a' });
    try {
      const post = () =>
        get(
          '/api/admin/views/per_category/rebuild',
          { method: 'POST', headers: { authorization: 'Bearer a' } },
          admin.url,
        );
      const started = await post();
      expect(started.status).toBe(202);
      expect((await post()).status).toBe(409);
      const deadline = Date.now() + 45_000;
      // No writes while it builds: promotion waits for the new version to reach the log end.
      while (rt.runner('per_category') === before && Date.now() < deadline) {
        const view = (await get('/api/status')).body.views.find(
          (v: { name: string }) => v.name === 'per_category',
        );
        expect(view.rebuild ?? { done: 0, total: 0 }).toHaveProperty('total');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(rt.runner('per_category')).not.toBe(before); // promoted: a new runner serves the view
      await load.tick(5); // changes after the swap flow from the new runner
      await settle(rt);
      const resynced = () => client.stats.resyncs >= 2 && !client.syncing;
      while (!resynced() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const want = await rt.view('per_category').scan({ limit: 1000 });
      const expected = new Map(want.rows.map((r) => [r.key, r.row]));
      while (Date.now() < deadline && !isDeepStrictEqual(new Map(client.rows), expected))
        await new Promise((r) => setTimeout(r, 50));
      expect(client.stats.resyncs).toBeGreaterThanOrEqual(2); // initial + rebuilt
      expect(new Map(client.rows)).toEqual(new Map(want.rows.map((r) => [r.key, r.row])));
    } finally {
      await client.close();
      await admin.close();
    }
  });
});

describe('tokens', () => {
  it('protects reads with the read token and admin with the admin token', async () => {
    const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });
    expect((await get('/api/status', {}, secured.url)).status).toBe(401);
    expect((await get('/api/status', bearer('wrong'), secured.url)).status).toBe(403);
    expect((await get('/api/status', bearer('r-secret'), secured.url)).status).toBe(200);
    expect(
      (await get('/api/views/items?limit=1&access_token=r-secret', {}, secured.url)).status,
    ).toBe(200);
    expect((await get('/metrics', {}, secured.url)).status).toBe(401);
    expect((await get('/healthz', {}, secured.url)).status).toBe(200);
    expect((await get('/api/admin/dlq', bearer('r-secret'), secured.url)).status).toBe(403);
    const dlq = await get('/api/admin/dlq', bearer('a-secret'), secured.url);
    expect(dlq.status).toBe(200);
    expect(dlq.body.entries).toEqual([]);
    const verify = await get(
      '/api/admin/views/items/verify',
      { method: 'POST', ...bearer('a-secret') },
      secured.url,
    );
    expect(verify.status).toBe(501);
    expect(verify.body.error.message).toContain('verify');
    const forget = await get(
      '/api/admin/forget',
      { method: 'POST', body: '{"x":1}', ...bearer('a-secret') },
      secured.url,
    );
    expect(forget.status).toBe(400);
  });

  it('keeps admin endpoints closed when no admin token is configured', async () => {
    const { status, body } = await get('/api/admin/dlq');
    expect(status).toBe(403);
    expect(body.error.message).toContain('UNBUNDLED_ADMIN_TOKEN');
  });

  it('never logs secrets', async () => {
    let out = '';
    const sink = new Writable({
      write: (c, _e, cb) => {
        out += c;
        cb();
      },
    });
    const log = createLogger({ destination: sink, pretty: false });
    log.info(
      {
        token: 'tok-1',
        adminToken: 'tok-2',
        headers: { authorization: 'Bearer tok-3' },
        url: redactUrl('postgres://u:pw-4@h:5432/db?sslpassword=pw-5'),
      },
      'hello',
    );
    log.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('hello');
    for (const secret of ['tok-1', 'tok-2', 'tok-3', 'pw-4', 'pw-5'])
      expect(out).not.toContain(secret);
  });
});
