import { join } from 'node:path';
import { UnbundledError } from '../core/index.ts';
import { freePort } from './free-port.ts';
import {
  installExitHandlers,
  makeTempDir,
  removeTempDir,
  ServerProcess,
} from './server-process.ts';
import { waitFor } from './wait-for.ts';

/** A private server on a loopback port with its files in a temp dir. */
export interface ServerInstance {
  /** e.g. `nats://127.0.0.1:PORT`, `redis://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** The temp dir holding the server's files (store, log). */
  readonly dir: string;
  /** Graceful shutdown, then delete the temp dir. Final; idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the server (a crash); `restart()` brings it back on the same port and files. */
  kill(): Promise<void>;
  /** Graceful shutdown if running, then start again on the same port and files. */
  restart(): Promise<void>;
}

/** What differs between server kinds. */
export interface TcpServerSpec {
  readonly name: string;
  readonly scheme: string;
  readonly command: string;
  /** Command-line arguments for a port and a files directory. */
  args(port: number, dir: string): string[];
  /** Resolves true when the server on `port` is ready for clients. */
  ready(port: number): Promise<boolean>;
  /** Signal for a graceful shutdown. */
  readonly stopSignal: NodeJS.Signals;
  /** A log line that means the port was taken (then the first start retries on a new port). */
  readonly portTaken: RegExp;
}

/** Start a server described by `spec` on a free port in a fresh temp dir. */
export async function startTcpServer(spec: TcpServerSpec): Promise<ServerInstance> {
  installExitHandlers();
  const dir = await makeTempDir(spec.name);
  const server = new TcpServer(spec, dir);
  try {
    await server.startOnFreePort();
  } catch (err) {
    removeTempDir(dir);
    throw err;
  }
  return server.handle();
}

class TcpServer {
  readonly #spec: TcpServerSpec;
  readonly #dir: string;
  #port = 0;
  #process: ServerProcess | undefined;
  #stopped = false;

  constructor(spec: TcpServerSpec, dir: string) {
    this.#spec = spec;
    this.#dir = dir;
  }

  handle(): ServerInstance {
    return {
      url: `${this.#spec.scheme}://127.0.0.1:${this.#port}`,
      port: this.#port,
      dir: this.#dir,
      stop: () => this.stop(),
      kill: () => this.kill(),
      restart: () => this.restart(),
    };
  }

  async startOnFreePort(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#port = await freePort();
      try {
        await this.#start();
        return;
      } catch (err) {
        const log = this.#process?.logTail() ?? '';
        if (attempt >= 5 || !this.#spec.portTaken.test(log)) throw err;
      }
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#process?.stop(this.#spec.stopSignal);
    removeTempDir(this.#dir);
  }

  async kill(): Promise<void> {
    await this.#process?.killGroup();
  }

  async restart(): Promise<void> {
    if (this.#stopped) {
      throw new UnbundledError(
        'TESTING_STOPPED',
        `this ${this.#spec.name} instance was stopped and its files deleted; start a new one`,
      );
    }
    if (this.#process && !this.#process.exited) await this.#process.stop(this.#spec.stopSignal);
    await this.#process?.waitGone();
    await this.#start();
  }

  async #start(): Promise<void> {
    const server = ServerProcess.spawn({
      command: this.#spec.command,
      args: this.#spec.args(this.#port, this.#dir),
      logPath: join(this.#dir, `${this.#spec.name}.log`),
      tempDir: this.#dir,
    });
    this.#process = server;
    try {
      await waitFor(async () => ((await this.#spec.ready(this.#port)) ? true : undefined), {
        what: `${this.#spec.name} on port ${this.#port} to accept clients`,
        abortIf: () =>
          server.exited
            ? `${this.#spec.name} exited during startup:\n${server.logTail()}`
            : undefined,
      });
    } catch (err) {
      await server.killGroup();
      throw err;
    }
  }
}
