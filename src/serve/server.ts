import { type HttpBindings, serve as nodeServe, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { isUnbundledError, UnbundledError } from '../core/index.ts';
import { buildViewGraph, type Runtime, type ViewStatus } from '../system/index.ts';
import { registerAdminRoutes } from './admin-api.ts';
import { requireToken } from './auth.ts';
import { ChangeHub } from './change-hub.ts';
import { registerChangeRoutes } from './changes-api.ts';
import type { AdminHooks, ServeContext, ServedView } from './context.ts';
import { registerDashboard } from './dashboard.ts';
import { problem } from './http-error.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { describePlan } from './plan.ts';
import { systemStatus } from './status.ts';
import { ViewStats } from './view-stats.ts';
import { registerViewRoutes } from './views-api.ts';

/** Options of `createServer` / `serve`. Tokens default to the environment. */
export interface ServeOptions {
  /** Port (number or the PORT string); 0 picks a free one. Default 3000. */
  readonly port?: number | string;
  /** Interface to bind. Default 127.0.0.1 (set 0.0.0.0 to expose it). */
  readonly host?: string;
  /** Token for /api/admin/* (default env UNBUNDLED_ADMIN_TOKEN); unset: admin disabled. */
  readonly adminToken?: string | null;
  /** Token for reads, /metrics and live changes (default env UNBUNDLED_READ_TOKEN); unset: open. */
  readonly readToken?: string | null;
  /** Commits per view kept for resuming SSE clients (default 4096). */
  readonly retainCommits?: number;
  /** Row writes per view kept across those commits (default 200 000). */
  readonly retainWrites?: number;
  /** A client with more unflushed bytes is disconnected and resumes later (default 4 MiB). */
  readonly maxClientBufferBytes?: number;
  /** Default and maximum wait of `?after=` in ms (default 10 000). */
  readonly waitTimeoutMs?: number;
  readonly admin?: AdminHooks;
  /** Logger (default: pino JSON on stdout); false: silent. */
  readonly logger?: Logger | false;
}

/** A server not yet listening: its Hono app (use `app.fetch`) and `close()` for its watchers. */
export interface UnbundledServer {
  readonly app: Hono<{ Bindings: HttpBindings }>;
  readonly log: Logger;
  close(): void;
}

/** A listening server. */
export interface ServeHandle {
  /** Base URL, e.g. http://127.0.0.1:3000 (the dashboard). */
  readonly url: string;
  readonly port: number;
  readonly server: UnbundledServer;
  close(): Promise<void>;
}

/**
 * Build the HTTP API, live changes, metrics and dashboard of a running system.
 *
 * @example
 * const { app, close } = createServer(runtime, { readToken: null });
 */
export function createServer(runtime: Runtime, options: ServeOptions = {}): UnbundledServer {
  const log =
    options.logger === false
      ? createLogger({ level: 'silent' })
      : (options.logger ?? createLogger());
  const views = new Map<string, ServedView>();
  for (const s of runtime.viewStatus()) {
    const def = runtime.system.views[s.name]!;
    const topics = new Set(buildViewGraph(runtime.system, s.name, def).inputs.keys());
    const hub = new ChangeHub(() => runtime.runner(s.name), {
      snapshotPath: `/api/views/${s.name}?limit=500`,
      ...(options.retainCommits === undefined ? {} : { retainCommits: options.retainCommits }),
      ...(options.retainWrites === undefined ? {} : { retainWrites: options.retainWrites }),
      ...(options.maxClientBufferBytes === undefined
        ? {}
        : { maxBufferedBytes: options.maxClientBufferBytes }),
    });
    views.set(s.name, {
      name: s.name,
      store: runtime.view(s.name),
      storeKind: s.store,
      topics,
      hub,
    });
  }
  const hubs = new Map([...views].map(([n, v]) => [n, v.hub]));
  const stats = new ViewStats(runtime);
  const metrics = createMetrics(runtime, stats, hubs);
  const rebuilds = new Map<string, ViewStatus | null>();
  const admin: AdminHooks = { rebuild: startRebuild(runtime, rebuilds, log), ...options.admin };
  const ctx: ServeContext = {
    runtime,
    views,
    waitTimeoutMs: options.waitTimeoutMs ?? 10_000,
    admin,
    log,
  };
  const env = process.env;
  const readToken =
    options.readToken === undefined ? env.UNBUNDLED_READ_TOKEN || null : options.readToken;
  const adminToken =
    options.adminToken === undefined ? env.UNBUNDLED_ADMIN_TOKEN || null : options.adminToken;
  const plan = describePlan(runtime.system);

  const app = new Hono<{ Bindings: HttpBindings }>();
  app.use(async (c, next) => {
    const t0 = performance.now();
    await next();
    const route = c.req.routePath;
    const seconds = (performance.now() - t0) / 1000;
    metrics.observeRequest(c.req.method, route, c.res.status, seconds);
    if (log.isLevelEnabled('debug'))
      log.debug(
        {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(seconds * 1000),
        },
        'request',
      );
  });
  app.get('/healthz', (c) => c.json({ ok: true, system: runtime.system.name }));
  app.use('/api/admin/*', requireToken(adminToken, 'admin', 'UNBUNDLED_ADMIN_TOKEN', true));
  if (readToken !== null) {
    const readGuard = requireToken(readToken, 'read', 'UNBUNDLED_READ_TOKEN');
    app.use('/api/*', (c, next) =>
      c.req.path.startsWith('/api/admin/') ? next() : readGuard(c, next),
    );
    app.use('/metrics', readGuard);
  }
  app.get('/api/status', async (c) => c.json(await systemStatus(runtime, stats, hubs, rebuilds)));
  app.get('/api/plan', (c) => c.json(plan));
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  registerChangeRoutes(app, ctx);
  registerViewRoutes(app as unknown as Hono, ctx);
  registerAdminRoutes(app as unknown as Hono, ctx);
  registerDashboard(app as unknown as Hono);
  app.notFound((c) => problem(c, 404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    if (isUnbundledError(err) && err.code === 'SERVE_REBUILD_RUNNING')
      return problem(c, 409, err.code, err.message);
    if (isUnbundledError(err) && /^SYSTEM_UNKNOWN_/.test(err.code))
      return problem(c, 404, err.code, err.message);
    log.error({ err, method: c.req.method, path: c.req.path }, 'request failed');
    return problem(
      c,
      500,
      'SERVE_INTERNAL',
      `the server failed on this request (${err.message}); see the server log`,
    );
  });
  return {
    app,
    log,
    close() {
      for (const v of views.values()) v.hub.close();
      stats.close();
    },
  };
}

/**
 * The rebuild admin hook: starts `runtime.rebuild(view)` in the background (202 at once) and
 * keeps its progress for /api/status until the new version is promoted.
 */
function startRebuild(rt: Runtime, progress: Map<string, ViewStatus | null>, log: Logger) {
  return async (view: string) => {
    if (progress.has(view))
      throw new UnbundledError(
        'SERVE_REBUILD_RUNNING',
        `view "${view}" is already being rebuilt; watch its progress in /api/status`,
      );
    progress.set(view, null);
    log.info({ view }, 'rebuild started');
    rt.rebuild(view, (s) => progress.set(view, s)).then(
      (version) => {
        progress.delete(view);
        log.info({ view, version }, 'rebuild promoted');
      },
      (err: Error) => {
        progress.delete(view);
        log.error({ view, err: err.message }, 'rebuild failed');
      },
    );
    return { started: true, view };
  };
}

/**
 * Serve a running system over HTTP: read API, live changes, metrics and the dashboard.
 *
 * @example
 * const http = await serve(runtime, { port: process.env.PORT ?? 3000, host: process.env.HOST ?? '127.0.0.1' });
 * console.log(`dashboard: ${http.url}`);
 */
export async function serve(runtime: Runtime, options: ServeOptions = {}): Promise<ServeHandle> {
  const port = Number(options.port ?? 3000);
  const host = options.host ?? '127.0.0.1';
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UnbundledError(
      'SERVE_BAD_PORT',
      `port "${options.port}" is not a TCP port (0-65535); set PORT to a number`,
    );
  const server = createServer(runtime, options);
  const http = await listen(server, port, host);
  const address = http.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${actual}`;
  server.log.info({ url }, 'serving');
  let closing: Promise<void> | null = null;
  return {
    url,
    port: actual,
    server,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close();
        http.close(() => resolve());
        (http as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      return closing;
    },
  };
}

function listen(server: UnbundledServer, port: number, host: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const http = nodeServe({ fetch: server.app.fetch, port, hostname: host });
    http.once('listening', () => resolve(http));
    http.once('error', (err: NodeJS.ErrnoException) => {
      server.close();
      reject(
        err.code === 'EADDRINUSE'
          ? new UnbundledError(
              'SERVE_PORT_IN_USE',
              `port ${port} on ${host} is in use: stop the other server or set PORT to a free port`,
              { cause: err },
            )
          : err,
      );
    });
  });
}
