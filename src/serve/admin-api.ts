import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { DLQ_TOPIC } from '../system/index.ts';
import type { AdminHooks, ServeContext } from './context.ts';
import { describeIssues, problem } from './http-error.ts';
import { dlqQuery, viewName } from './query.ts';

const forgetBody = z.strictObject({ subject: z.string().min(1).max(1000) });

/** Admin endpoints (behind the admin token): dead-letter list, rebuild, verify, forget, replay. */
export function registerAdminRoutes(app: Hono, ctx: ServeContext): void {
  app.get('/api/admin/dlq', async (c) => {
    const q = dlqQuery.safeParse(c.req.query());
    if (!q.success) return problem(c, 400, 'SERVE_BAD_REQUEST', describeIssues(q.error));
    return c.json(await readDeadLetters(ctx, q.data.limit ?? 100, q.data.view));
  });

  for (const op of ['rebuild', 'verify'] as const) {
    app.post(`/api/admin/views/:view/${op}`, async (c) => {
      const name = c.req.param('view');
      if (!viewName.safeParse(name).success || !ctx.views.has(name))
        return problem(c, 404, 'VIEW_UNKNOWN', `no view named "${name}" is served here`);
      return runHook(c, ctx.admin, op, () => ctx.admin[op]!(name));
    });
  }

  app.post('/api/admin/forget', async (c) => {
    const body = forgetBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success)
      return problem(
        c,
        400,
        'SERVE_BAD_REQUEST',
        `body: expected JSON {"subject": "<id>"} (${describeIssues(body.error)})`,
      );
    return runHook(c, ctx.admin, 'forget', () => ctx.admin.forget!(body.data.subject));
  });

  app.post('/api/admin/dlq/replay', async (c) => {
    const view = c.req.query('view');
    return runHook(c, ctx.admin, 'replayDeadLetters', () => ctx.admin.replayDeadLetters!(view));
  });
}

async function runHook(
  c: Context,
  hooks: AdminHooks,
  name: keyof AdminHooks,
  call: () => Promise<unknown>,
) {
  if (typeof hooks[name] !== 'function') {
    return problem(
      c,
      501,
      'SERVE_NOT_IMPLEMENTED',
      `"${name}" is not available in this runtime yet: pass admin.${name} to serve() once the runtime provides it`,
    );
  }
  return c.json({ ok: true, result: (await call()) ?? null }, 202);
}

async function readDeadLetters(ctx: ServeContext, limit: number, view: string | undefined) {
  const log = ctx.runtime.log;
  let offsets: { beginning: number; end: number };
  try {
    offsets = await log.offsets(DLQ_TOPIC, 0);
  } catch {
    return { topic: DLQ_TOPIC, total: 0, entries: [] };
  }
  const entries: unknown[] = [];
  const from = Math.max(offsets.beginning, offsets.end - (view === undefined ? limit : limit * 20));
  for await (const batch of log.read(DLQ_TOPIC, 0, from, { follow: false })) {
    for (const r of batch) {
      if (r.offset >= offsets.end) break;
      if (view !== undefined && r.headers['ub-view'] !== view) continue;
      const text = r.value ? Buffer.from(r.value).toString('utf8') : 'null';
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = text;
      }
      entries.push({
        offset: r.offset,
        timestamp: new Date(r.timestamp).toISOString(),
        entry: value,
      });
    }
    if (batch.length === 0 || batch[batch.length - 1]!.offset >= offsets.end - 1) break;
  }
  return {
    topic: DLQ_TOPIC,
    total: offsets.end - offsets.beginning,
    entries: entries.slice(-limit),
  };
}
