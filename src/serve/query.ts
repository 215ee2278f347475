import { z } from 'zod';

const common = {
  /** Read-your-writes: wait until the view covers this position token. */
  after: z.string().min(1).max(8192).optional(),
  /** With `after`: on timeout return current data flagged `stale` instead of 504. */
  stale: z.literal('ok').optional(),
  /** How long `after` may wait, in ms. */
  timeout_ms: z.coerce.number().int().min(0).max(60_000).optional(),
  /** The read token for clients that cannot set headers (EventSource). */
  access_token: z.string().optional(),
};

/** `GET /api/views/:view/rows/:key` */
export const rowQuery = z.strictObject(common);

/** `GET /api/views/:view` — a page of rows, or search hits with `q`. */
export const listQuery = z.strictObject({
  ...common,
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).max(8192).optional(),
  q: z.string().min(1).max(1000).optional(),
});

/** `GET /api/views/:view/changes` — `from` is the same as a Last-Event-ID header. */
export const changesQuery = z.strictObject({
  from: z.string().min(1).max(8192).optional(),
  access_token: z.string().optional(),
});

/** `GET /api/admin/dlq` */
export const dlqQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  view: z.string().min(1).max(200).optional(),
  access_token: z.string().optional(),
});

/** View names and keys as path parameters. */
export const viewName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'not a view name');
export const rowKey = z.string().min(1).max(4096);
