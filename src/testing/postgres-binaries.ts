import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { UnbundledError } from '../core/index.ts';

const run = promisify(execFile);

/** Where the Postgres server binaries are: $UNBUNDLED_PG_BIN or the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string {
  const fromEnv = process.env.UNBUNDLED_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) {
    throw new UnbundledError(
      'TESTING_NO_POSTGRES',
      'no Postgres server binaries found under /usr/lib/postgresql/*/bin; install them (apt-get install postgresql, see .ci/run) or set UNBUNDLED_PG_BIN',
    );
  }
  return join(root, versions[0], 'bin');
}

/** The OS user the server runs as: `postgres` when we are root (Postgres refuses root), else us. */
export function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new UnbundledError(
      'TESTING_NO_POSTGRES_USER',
      'running as root but there is no "postgres" OS user to run Postgres as; create it: useradd --system --create-home postgres',
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** The name of the file that each instance writes its settings to (included by postgresql.conf). */
export const INSTANCE_CONF = 'unbundled.conf';

let template: Promise<string> | undefined;

/**
 * A data directory made by initdb once and shared: by every instance of this process, and across
 * processes (it lives under os.tmpdir() keyed by the server version and user, is built in a
 * private directory and renamed into place atomically, so a half-built template is never used).
 * Instances copy it with `cp -a`, which is much faster than initdb.
 */
export function templateDataDir(): Promise<string> {
  template ??= buildTemplate().catch((err) => {
    template = undefined;
    throw err;
  });
  return template;
}

async function buildTemplate(): Promise<string> {
  const bin = postgresBinDir();
  const user = postgresUser();
  const { stdout } = await run(join(bin, 'initdb'), ['--version']);
  const version = /\d+(\.\d+)?/.exec(stdout)?.[0] ?? 'unknown';
  const dir = join(tmpdir(), `unbundled-pg-template-${version}-${user?.uid ?? process.getuid?.()}`);
  if (existsSync(join(dir, '.unbundled-complete'))) return dir;
  const building = `${dir}.building-${process.pid}-${Date.now()}`;
  await runInitdb(bin, building, user);
  await appendFile(join(building, 'postgresql.conf'), `\ninclude_if_exists = '${INSTANCE_CONF}'\n`);
  await writeFile(join(building, '.unbundled-complete'), 'ok\n');
  if (user) await run('chown', ['-R', `${user.uid}:${user.gid}`, building]);
  try {
    await rename(building, dir);
  } catch {
    await rm(building, { recursive: true, force: true }); // another process won the race
  }
  return dir;
}

async function runInitdb(
  bin: string,
  dir: string,
  user: { uid: number; gid: number } | undefined,
): Promise<void> {
  const args = ['-D', dir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '-N'];
  try {
    await run(join(bin, 'initdb'), args, {
      ...(user ?? {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr ?? '';
    throw new UnbundledError(
      'TESTING_INITDB_FAILED',
      `initdb failed for ${dir}: ${stderr.trim()}; check that ${user ? 'the postgres user' : 'this user'} can write to ${tmpdir()}`,
      { cause },
    );
  }
}

/** Copy the template into `dataDir` (which must not exist yet), keeping ownership. */
export async function copyTemplate(dataDir: string): Promise<void> {
  const source = await templateDataDir();
  await run('cp', ['-a', source, dataDir]);
  await rm(join(dataDir, '.unbundled-complete'), { force: true });
}
