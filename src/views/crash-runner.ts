import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Iterations of a crash test: UNBUNDLED_FAULT_ITERATIONS or the given default. */
export function faultIterations(fallback: number): number {
  const n = Number(process.env.UNBUNDLED_FAULT_ITERATIONS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Start the crash child, let it apply batches for `runMs` after it is ready, then SIGKILL it.
 * Resolves with the batch index it resumed from.
 */
export function runAndKill(args: readonly string[], runMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let resumed = -1;
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m && resumed < 0) {
        resumed = Number(m[1]);
        setTimeout(() => child.kill('SIGKILL'), runMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && resumed >= 0) resolve(resumed);
      else reject(new Error(`crash child exited ${code ?? signal} before the kill: ${err}`));
    });
  });
}
