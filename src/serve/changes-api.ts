import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Hono } from 'hono';
import { decodePositionToken } from '../core/index.ts';
import type { ChangeSink } from './change-hub.ts';
import type { ServeContext } from './context.ts';
import { describeIssues, problem } from './http-error.ts';
import { changesQuery } from './query.ts';

/**
 * `GET /api/views/:view/changes`: Server-Sent Events. Events:
 * - `change` (id = position token): `{ position, at, writes: [{ key, row | null }] }` (`at`:
 *   server time of the commit, epoch ms);
 * - `resync` (id = position token): `{ reason, position, snapshot }` — take a fresh snapshot
 *   (pages of `snapshot`), then apply the changes that follow on this same stream.
 * Resume with `Last-Event-ID` (browsers do this by themselves) or `?from=<token>`.
 * Frames are written straight to the socket: one serialized frame is shared by all clients.
 */
export function registerChangeRoutes(
  app: Hono<{ Bindings: HttpBindings }>,
  ctx: ServeContext,
): void {
  app.get('/api/views/:view/changes', (c) => {
    const parsed = changesQuery.safeParse(c.req.query());
    if (!parsed.success) return problem(c, 400, 'SERVE_BAD_REQUEST', describeIssues(parsed.error));
    const name = c.req.param('view');
    const view = ctx.views.get(name);
    if (!view)
      return problem(
        c,
        404,
        'VIEW_UNKNOWN',
        `no view named "${name}" is served here (have: ${[...ctx.views.keys()].join(', ')})`,
      );
    const from = c.req.header('last-event-id') ?? parsed.data.from ?? null;
    if (from !== null) {
      try {
        decodePositionToken(from);
      } catch {
        return problem(
          c,
          400,
          'POSITION_TOKEN_INVALID',
          `Last-Event-ID / from: "${from.slice(0, 80)}" is not a position token`,
        );
      }
    }
    const res = c.env?.outgoing;
    if (!res)
      return problem(
        c,
        501,
        'SERVE_SSE_UNSUPPORTED',
        'live changes need the Node HTTP server (serve())',
      );
    // The stream ends only when the connection does: no chunked framing (one buffer per
    // write instead of three; this is most of the per-client cost of a fan-out).
    res.useChunkedEncodingByDefault = false;
    res.shouldKeepAlive = false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    // Headers are out and the body is unframed: frames go straight to the socket, skipping
    // the per-write bookkeeping of http.ServerResponse (measured: the fan-out's hot path).
    const socket = res.socket;
    const sink: ChangeSink = {
      send: socket ? (frame) => void socket.write(frame) : (frame) => void res.write(frame),
      buffered: () => socket?.writableLength ?? res.writableLength,
      close: (reason) => {
        if (!res.writableEnded) res.end(`: closing: ${reason}\n\n`);
      },
    };
    const detach = view.hub.subscribe(sink, from);
    res.on('close', detach);
    return RESPONSE_ALREADY_SENT;
  });
}
