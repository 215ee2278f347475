import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for.ts';

/** How to launch a server process. */
export interface ServerSpawn {
  readonly command: string;
  readonly args: readonly string[];
  /** Append the process's stdout and stderr to this file (read back in error messages). */
  readonly logPath: string;
  /** Removed by the watchdog if this Node process dies without cleaning up. */
  readonly tempDir?: string;
  /** Run as this user (needs root); Postgres refuses to run as root. */
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * A server child process in its own process group, so that `kill()` reaches the server and every
 * child it forked (Postgres backends), and a watchdog shell that SIGKILLs the group if this Node
 * process dies without cleaning up (even by SIGKILL, where no exit handler runs).
 */
export class ServerProcess {
  readonly #child: ChildProcess;
  readonly #pid: number;
  readonly #logPath: string;
  #exited = false;

  private constructor(child: ChildProcess, logPath: string, tempDir: string | undefined) {
    this.#child = child;
    this.#pid = child.pid ?? 0;
    this.#logPath = logPath;
    child.once('exit', () => {
      this.#exited = true;
      live.delete(this);
    });
    live.add(this);
    startWatchdog(this.#pid, tempDir);
  }

  /** Spawn the server. Throws if the command cannot be started at all. */
  static spawn(spec: ServerSpawn): ServerProcess {
    const fd = openSync(spec.logPath, 'a');
    try {
      const child = spawn(spec.command, spec.args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
        ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      });
      child.unref();
      if (child.pid === undefined) throw new Error(`could not spawn ${spec.command}`);
      return new ServerProcess(child, spec.logPath, spec.tempDir);
    } finally {
      closeSync(fd);
    }
  }

  /** Process id of the server (also its process group id). */
  get pid(): number {
    return this.#pid;
  }

  /** True once the server process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** The last `lines` lines of the server's log, for error messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.#logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Send `signal` to the server process only (e.g. SIGINT for Postgres fast shutdown). */
  signal(signal: NodeJS.Signals): void {
    if (!this.#exited) this.#child.kill(signal);
  }

  /** SIGKILL the whole process group and wait until every member is gone. */
  async killGroup(): Promise<void> {
    killGroupNow(this.#pid);
    await this.waitGone();
  }

  /** Wait until the server and every process of its group have exited. */
  async waitGone(timeoutMs = 60_000): Promise<void> {
    // Poll (a timer keeps the event loop alive; the unref'd child alone would not).
    await waitFor(async () => (this.#exited && !groupAlive(this.#pid) ? true : undefined), {
      timeoutMs,
      what: `process group ${this.#pid} to exit`,
    });
  }

  /** Stop gracefully with `signal`; SIGKILL the group if it has not exited after `graceMs`. */
  async stop(signal: NodeJS.Signals, graceMs = 30_000): Promise<void> {
    this.signal(signal);
    try {
      await this.waitGone(graceMs);
    } catch {
      await this.killGroup();
    }
  }
}

const live = new Set<ServerProcess>();
const tempDirs = new Set<string>();

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroupNow(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * A detached shell that SIGKILLs the group once this process is gone, and then removes the temp
 * dir (only if this process is gone: after a `kill()` + `restart()` the dir is still in use).
 * It ends by itself when the group ends.
 */
function startWatchdog(pgid: number, tempDir: string | undefined): void {
  const parent = process.pid;
  const cleanup = tempDir === undefined ? '' : `kill -0 ${parent} 2>/dev/null || rm -rf "$1"`;
  const script = `while kill -0 ${parent} 2>/dev/null && kill -0 -${pgid} 2>/dev/null; do sleep 1; done; kill -9 -${pgid} 2>/dev/null; sleep 1; ${cleanup}; exit 0`;
  const args = ['-c', script, 'watchdog', ...(tempDir === undefined ? [] : [tempDir])];
  spawn('/bin/sh', args, { detached: true, stdio: 'ignore' }).unref();
}

/**
 * Create a fresh temporary directory under os.tmpdir() that is removed when the test process
 * exits (and earlier by the owner's `stop()`).
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `unbundled-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

/** Remove a temporary directory made by `makeTempDir`. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

let handlersInstalled = false;

/** SIGKILL every server this process started and remove their temp dirs (synchronously). */
export function killAllServersNow(): void {
  for (const server of live) killGroupNow(server.pid);
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
}

/** Install once: kill children on exit and on SIGINT/SIGTERM/SIGHUP (then re-raise the signal). */
export function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', killAllServersNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      killAllServersNow();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
}
