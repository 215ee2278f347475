import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { decodePositionToken, encodePositionToken, type Position } from '../core/index.ts';
import type { ServeContext, ServedView } from './context.ts';
import { describeIssues, problem } from './http-error.ts';
import { relevantPosition, waitForPosition } from './position-wait.ts';
import { listQuery, rowKey, rowQuery, viewName } from './query.ts';

type Common = z.infer<typeof rowQuery>;
type Found = { view: ServedView; position: string; stale: boolean };

/** Look up the view, validate `after`, wait for it; a Response when the request cannot go on. */
async function prepare(ctx: ServeContext, c: Context, q: Common): Promise<Found | Response> {
  const name = c.req.param('view') ?? '';
  const view = viewName.safeParse(name).success ? ctx.views.get(name) : undefined;
  if (!view) {
    return problem(
      c,
      404,
      'VIEW_UNKNOWN',
      `no view named "${name}" is served here (have: ${[...ctx.views.keys()].join(', ')})`,
    );
  }
  const runner = ctx.runtime.runner(view.name);
  let stale = false;
  if (q.after !== undefined) {
    let want: Position;
    try {
      want = relevantPosition(decodePositionToken(q.after), view.topics);
    } catch {
      return problem(
        c,
        400,
        'POSITION_TOKEN_INVALID',
        `after: "${q.after.slice(0, 80)}" is not a position token (use the token a write or an event id returned)`,
      );
    }
    const timeout = Math.min(q.timeout_ms ?? ctx.waitTimeoutMs, ctx.waitTimeoutMs);
    const ok = await waitForPosition(runner, want, timeout, c.req.raw.signal);
    if (!ok && q.stale !== 'ok') {
      return problem(
        c,
        504,
        'VIEW_NOT_CAUGHT_UP',
        `view "${view.name}" did not reach the requested position within ${timeout} ms; retry, or add stale=ok to read current data`,
        {
          view: view.name,
          position: encodePositionToken(runner.committedPosition),
          phase: runner.status().phase,
          wanted: q.after,
        },
      );
    }
    stale = !ok;
  }
  return { view, position: tokenOf(runner.committedPosition), stale };
}

let lastPosition: Position | null = null;
let lastToken = '';

/** The token of a committed position; the runner replaces the object on each commit, so cache by identity. */
function tokenOf(p: Position): string {
  if (p !== lastPosition) {
    lastToken = encodePositionToken(p);
    lastPosition = p;
  }
  return lastToken;
}

function parse<S extends z.ZodType>(schema: S, c: Context): z.infer<S> | Response {
  // Most reads carry no query string: skip parsing then (an empty object always validates).
  const r = schema.safeParse(c.req.url.includes('?') ? c.req.query() : {});
  return r.success ? r.data : problem(c, 400, 'SERVE_BAD_REQUEST', describeIssues(r.error));
}

/** Register the read API: one row, a page of rows, search hits, and the list of views. */
export function registerViewRoutes(app: Hono, ctx: ServeContext): void {
  app.get('/api/views', (c) =>
    c.json({
      views: [...ctx.views.values()].map((v) => ({
        name: v.name,
        store: v.storeKind,
        searchable: typeof (v.store as { search?: unknown }).search === 'function',
        topics: [...v.topics],
      })),
    }),
  );

  app.get('/api/views/:view/rows/:key', async (c) => {
    const q = parse(rowQuery, c);
    if (q instanceof Response) return q;
    const key = c.req.param('key');
    if (!rowKey.safeParse(key).success)
      return problem(c, 400, 'SERVE_BAD_REQUEST', 'key: must be 1 to 4096 characters');
    const found = await prepare(ctx, c, q);
    if (found instanceof Response) return found;
    const row = await found.view.store.get(key);
    if (row === undefined) {
      return problem(
        c,
        404,
        'ROW_UNKNOWN',
        `view "${found.view.name}" has no row with key "${key.slice(0, 200)}"`,
        { position: found.position, stale: found.stale },
      );
    }
    return c.json({
      view: found.view.name,
      key,
      row,
      position: found.position,
      stale: found.stale,
    });
  });

  app.get('/api/views/:view', async (c) => {
    const q = parse(listQuery, c);
    if (q instanceof Response) return q;
    const found = await prepare(ctx, c, q);
    if (found instanceof Response) return found;
    const { view, position, stale } = found;
    if (q.q !== undefined) {
      const store = view.store as {
        search?: (q: string, o: { limit: number }) => Promise<unknown[]>;
      };
      if (typeof store.search !== 'function') {
        return problem(
          c,
          400,
          'VIEW_NOT_SEARCHABLE',
          `q: view "${view.name}" is stored in "${view.storeKind}", which has no full-text search (use a search() view)`,
        );
      }
      if (q.cursor !== undefined)
        return problem(
          c,
          400,
          'SERVE_BAD_REQUEST',
          'cursor: not supported with q (search returns the best `limit` hits)',
        );
      const hits = await store.search(q.q, { limit: q.limit ?? 20 });
      return c.json({ view: view.name, q: q.q, hits, position, stale });
    }
    const page = await view.store.scan({
      limit: q.limit ?? 100,
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    });
    return c.json({
      view: view.name,
      rows: page.rows,
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
      position,
      stale,
    });
  });
}
