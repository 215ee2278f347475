import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { UnbundledError } from '../core/index.ts';
import { freePort } from './free-port.ts';
import { copyTemplate, INSTANCE_CONF, postgresBinDir, postgresUser } from './postgres-binaries.ts';
import {
  installExitHandlers,
  makeTempDir,
  removeTempDir,
  ServerProcess,
} from './server-process.ts';
import { waitFor } from './wait-for.ts';

/** Options of `startPostgres`. */
export interface PostgresOptions {
  /** Default 'logical' (what CDC needs). */
  readonly walLevel?: 'minimal' | 'replica' | 'logical';
  /** Extra server settings (postgresql.conf syntax values, e.g. `{ max_connections: '50' }`). */
  readonly config?: Readonly<Record<string, string>>;
}

/** A private Postgres server started by `startPostgres`. */
export interface PostgresInstance {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (user postgres, trust auth). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The data directory (owned by the `postgres` OS user when the tests run as root). */
  readonly dataDir: string;
  /** Fast shutdown (SIGINT), then delete the data directory. Final; idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the postmaster and all its children (a crash); `restart()` then runs crash recovery. */
  kill(): Promise<void>;
  /** Fast shutdown if running, then start again on the same port and data; resolves when ready. */
  restart(): Promise<void>;
  /** `CREATE DATABASE name` and return its URL. */
  createDatabase(name: string): Promise<string>;
}

/**
 * Start a private Postgres on a free loopback port with its data in a temp dir: trust auth,
 * `wal_level=logical` by default, 10 replication slots and WAL senders, fsync and synchronous
 * commit on (durability is tested). Resolves once it accepts connections. The server is killed
 * when the test process exits.
 *
 * @example
 * const pg = await startPostgres();
 * const client = new pg.Client(pg.url);
 * afterAll(() => pg.stop());
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresInstance> {
  installExitHandlers();
  const root = await makeTempDir('pg');
  const user = postgresUser();
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'sock');
  await mkdir(socketDir);
  if (user) await chown(root, user.uid, user.gid);
  if (user) await chown(socketDir, user.uid, user.gid);
  await copyTemplate(dataDir);
  const server = new PostgresServer(root, dataDir, socketDir, options);
  try {
    await server.startOnFreePort();
  } catch (err) {
    removeTempDir(root);
    throw err;
  }
  return server.handle();
}

class PostgresServer {
  readonly #root: string;
  readonly #dataDir: string;
  readonly #socketDir: string;
  readonly #options: PostgresOptions;
  #port = 0;
  #process: ServerProcess | undefined;
  #stopped = false;

  constructor(root: string, dataDir: string, socketDir: string, options: PostgresOptions) {
    this.#root = root;
    this.#dataDir = dataDir;
    this.#socketDir = socketDir;
    this.#options = options;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.#port}/postgres`;
  }

  handle(): PostgresInstance {
    return {
      url: this.url,
      host: '127.0.0.1',
      port: this.#port,
      dataDir: this.#dataDir,
      stop: () => this.stop(),
      kill: () => this.kill(),
      restart: () => this.restart(),
      createDatabase: (name) => this.createDatabase(name),
    };
  }

  /** First start: a port taken between probing and binding is retried with a new one. */
  async startOnFreePort(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.#port = await freePort();
      await this.#writeConf();
      try {
        await this.#start();
        return;
      } catch (err) {
        const log = this.#process?.logTail() ?? '';
        if (attempt >= 5 || !/could not bind|Address already in use/.test(log)) throw err;
      }
    }
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#process?.stop('SIGINT');
    removeTempDir(this.#root);
  }

  async kill(): Promise<void> {
    await this.#process?.killGroup();
  }

  async restart(): Promise<void> {
    this.#assertNotStopped();
    if (this.#process && !this.#process.exited) await this.#process.stop('SIGINT');
    await this.#process?.waitGone();
    await this.#start();
  }

  async createDatabase(name: string): Promise<string> {
    this.#assertNotStopped();
    const client = new pg.Client(this.url);
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } finally {
      await client.end();
    }
    return `postgres://postgres@127.0.0.1:${this.#port}/${encodeURIComponent(name)}`;
  }

  #assertNotStopped(): void {
    if (this.#stopped) {
      throw new UnbundledError(
        'TESTING_STOPPED',
        'this Postgres instance was stopped and its data deleted; start a new one with startPostgres()',
      );
    }
  }

  async #writeConf(): Promise<void> {
    const settings: Record<string, string> = {
      port: String(this.#port),
      listen_addresses: "'127.0.0.1'",
      unix_socket_directories: `'${this.#socketDir}'`,
      wal_level: this.#options.walLevel ?? 'logical',
      max_replication_slots: '10',
      max_wal_senders: this.#options.walLevel === 'minimal' ? '0' : '10',
      fsync: 'on',
      synchronous_commit: 'on',
      ...this.#options.config,
    };
    const text = Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n');
    await writeFile(join(this.#dataDir, INSTANCE_CONF), `${text}\n`);
  }

  async #start(): Promise<void> {
    const user = postgresUser();
    const server = ServerProcess.spawn({
      command: join(postgresBinDir(), 'postgres'),
      args: ['-D', this.#dataDir],
      logPath: join(this.#root, 'postgres.log'),
      tempDir: this.#root,
      ...(user ?? {}),
    });
    this.#process = server;
    try {
      await waitFor(() => this.#ping(), {
        what: `Postgres on port ${this.#port} to accept connections`,
        abortIf: () =>
          server.exited ? `Postgres exited during startup:\n${server.logTail()}` : undefined,
      });
    } catch (err) {
      await server.killGroup();
      throw err;
    }
  }

  async #ping(): Promise<true | undefined> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** Quote an SQL identifier. */
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
