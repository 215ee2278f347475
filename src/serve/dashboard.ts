import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'graph.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
} as const;

/**
 * The dashboard: static files shipped in the package (plain ES modules and SVG, no build step),
 * read once at start. `/` is the page; it reads `/api/status`, `/api/plan` and the SSE changes.
 */
export function registerDashboard(app: Hono): void {
  const dir = new URL('./dashboard/', import.meta.url);
  const files = new Map<string, { body: string; type: string }>();
  for (const [name, type] of Object.entries(FILES))
    files.set(name, { body: readFileSync(new URL(name, dir), 'utf8'), type });
  const send = (name: string) => {
    const f = files.get(name)!;
    return new Response(f.body, {
      headers: { 'content-type': f.type, 'cache-control': 'no-cache' },
    });
  };
  app.get('/', () => send('index.html'));
  app.get('/dashboard/:file', (c) => {
    const file = c.req.param('file');
    return files.has(file)
      ? send(file)
      : c.json({ error: { code: 'NOT_FOUND', message: `no dashboard file "${file}"` } }, 404);
  });
}
