import { type Position, positionCovers, UnbundledError } from '../core/index.ts';

/**
 * Wait until `getPosition()` covers `want` (read-your-writes), polling every `intervalMs`
 * (default 5 ms). Rejects with POSITION_WAIT_TIMEOUT (HTTP 504, carrying the current position)
 * after `timeoutMs` (default 5 s), or with the signal's reason when aborted.
 *
 * @example
 * await waitForPosition(() => view.position, decodePositionToken(token), { timeoutMs: 2000 });
 */
export async function waitForPosition(
  getPosition: () => Position | Promise<Position>,
  want: Position,
  options: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<Position> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    options.signal?.throwIfAborted();
    const have = await getPosition();
    if (positionCovers(have, want)) return have;
    if (Date.now() >= deadline) throw positionTimeout(have, want, options.timeoutMs ?? 5000);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 5));
  }
}

function positionTimeout(have: Position, want: Position, ms: number): UnbundledError {
  return new UnbundledError(
    'POSITION_WAIT_TIMEOUT',
    `the view did not reach the requested position within ${ms} ms (it is behind: check its lag); ` +
      'retry later or read with stale=ok',
    { retryable: true, details: { status: 504, position: have, want } },
  );
}
