import { type Position, parsePartitionKey, positionCovers } from '../core/index.ts';
import type { ViewRunner } from '../system/index.ts';

type WaitRunner = Pick<ViewRunner, 'committedPosition' | 'status' | 'nextCommit'>;

/**
 * The part of a wanted position that concerns a view: only partitions of topics it reads. A
 * token from a write elsewhere in the system says nothing about this view, so it never blocks.
 */
export function relevantPosition(want: Position, topics: ReadonlySet<string>): Position {
  const out: Record<string, number> = {};
  for (const [tp, offset] of Object.entries(want))
    if (topics.has(parsePartitionKey(tp).topic)) out[tp] = offset;
  return out;
}

/** True when the view's readers see data at or past `want` (never during a rebuild). */
export function viewCovers(runner: WaitRunner, want: Position): boolean {
  return runner.status().phase === 'live' && positionCovers(runner.committedPosition, want);
}

/**
 * Wait until the view's live data covers `want`, at most `timeoutMs`. Resolves true when it
 * does, false on timeout or abort. Wakes on each commit rather than polling.
 */
export async function waitForPosition(
  runner: WaitRunner,
  want: Position,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (viewCovers(runner, want)) return true;
  const deadline = AbortSignal.timeout(timeoutMs);
  const stop = signal ? AbortSignal.any([deadline, signal]) : deadline;
  // A rebuild promotes without a commit, so also re-check now and then.
  while (!stop.aborted) {
    const step = new AbortController();
    const onStop = () => step.abort();
    stop.addEventListener('abort', onStop, { once: true });
    await Promise.race([runner.nextCommit(step.signal), sleep(250, step.signal)]);
    step.abort(); // releases whichever of the two did not fire
    stop.removeEventListener('abort', onStop);
    if (viewCovers(runner, want)) return true;
  }
  return false;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
