import type { Command } from 'commander';
import { fetchServer, type ServerOptions, serverOptions } from './status.ts';

interface Frame {
  id: string | null;
  event: string;
  data: string;
}

/** Split an SSE text buffer into complete frames; returns the frames and the unparsed rest. */
export function parseFrames(buffer: string): { frames: Frame[]; rest: string } {
  const frames: Frame[] = [];
  const blocks = buffer.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const f: Frame = { id: null, event: 'message', data: '' };
    for (const line of block.split('\n')) {
      const at = line.indexOf(':');
      if (at <= 0) continue;
      const value = line.slice(at + 1).replace(/^ /, '');
      const field = line.slice(0, at);
      if (field === 'id') f.id = value;
      else if (field === 'event') f.event = value;
      else if (field === 'data') f.data += value;
    }
    if (f.data !== '') frames.push(f);
  }
  return { frames, rest };
}

/** One printed line per write: `HH:MM:SS  key  {row}` or `HH:MM:SS  key  (deleted)`. */
export function formatChange(data: string, now = new Date()): string {
  const { writes } = JSON.parse(data) as { writes: { key: string; row: unknown }[] };
  const t = now.toISOString().slice(11, 19);
  return writes
    .map((w) => `${t}  ${w.key}  ${w.row === null ? '(deleted)' : JSON.stringify(w.row)}\n`)
    .join('');
}

/**
 * `unbundled tail <view>`: print a view's live changes until Ctrl-C. Reconnects after a drop
 * and resumes from the last event (Last-Event-ID), so no change is printed twice or skipped.
 */
export function registerTailCommand(program: Command): void {
  serverOptions(program.command('tail <view>'))
    .description('print the live changes of a view of a running server (Ctrl-C to stop)')
    .option('--max <n>', 'stop after this many change events (commits)')
    .action(async (view: string, o: ServerOptions & { max?: string }) => {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      let last: string | null = null;
      let left = o.max === undefined ? Number.POSITIVE_INFINITY : Number(o.max);
      while (!ac.signal.aborted && left > 0) {
        const headers: Record<string, string> = last ? { 'last-event-id': last } : {};
        try {
          const res = await fetchServer(o, `/api/views/${encodeURIComponent(view)}/changes`, {
            headers,
            signal: ac.signal,
          });
          let buffer = '';
          const decoder = new TextDecoder();
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
            const { frames, rest } = parseFrames(buffer + decoder.decode(chunk, { stream: true }));
            buffer = rest;
            for (const f of frames) {
              if (f.id !== null) last = f.id;
              if (f.event === 'resync' && JSON.parse(f.data).reason !== 'initial')
                process.stdout.write(
                  `-- resync (${JSON.parse(f.data).reason}): changes before this were not all shown\n`,
                );
              if (f.event === 'change') {
                process.stdout.write(formatChange(f.data));
                if (--left <= 0) ac.abort();
              }
            }
            if (ac.signal.aborted) break;
          }
        } catch (err) {
          if (ac.signal.aborted) break;
          if (last === null) throw err;
          process.stderr.write('-- connection lost; resuming\n');
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    });
}
