import { connect } from 'node:net';
import { UnbundledError } from '../core/index.ts';

/** Options of `waitFor`. */
export interface WaitForOptions {
  /** Give up after this many milliseconds. Default 60 s (CPU is contended in CI). */
  readonly timeoutMs?: number;
  /** Pause between attempts. Default 50 ms. */
  readonly intervalMs?: number;
  /** Checked before each attempt: a reason string aborts the wait (e.g. the server exited). */
  readonly abortIf?: () => string | undefined;
  /** What is being waited for, for the error message. */
  readonly what?: string;
}

/**
 * Call `attempt` until it resolves to something other than `undefined` and return that value.
 * A throwing attempt counts as "not yet". Fails with TESTING_TIMEOUT after `timeoutMs`.
 */
export async function waitFor<T>(
  attempt: () => Promise<T | undefined>,
  options: WaitForOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    const reason = options.abortIf?.();
    if (reason !== undefined) throw new UnbundledError('TESTING_ABORTED', reason, { cause: last });
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new UnbundledError(
        'TESTING_TIMEOUT',
        `timed out waiting for ${options.what ?? 'a condition'}; the machine may be overloaded or the server failed to start (see its log)`,
        { cause: last },
      );
    }
    await sleep(options.intervalMs ?? 50);
  }
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Open a TCP connection to 127.0.0.1:`port`, optionally write `send`, and resolve with the first
 * chunk the server sends (empty string if `expectData` is false). Rejects on connection errors.
 */
export function probeTcp(
  port: number,
  options: { send?: string; expectData?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (err: Error | null, data = '') => {
      socket.destroy();
      if (err) reject(err);
      else resolve(data);
    };
    socket.setTimeout(options.timeoutMs ?? 2_000, () => done(new Error('probe timed out')));
    socket.on('error', (err) => done(err));
    socket.on('connect', () => {
      if (options.send !== undefined) socket.write(options.send);
      if (options.expectData === false) done(null);
    });
    socket.on('data', (chunk) => done(null, chunk.toString('utf8')));
  });
}
