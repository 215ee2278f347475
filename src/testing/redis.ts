import { type ServerInstance, startTcpServer } from './tcp-server.ts';
import { probeTcp } from './wait-for.ts';

/** A private redis-server started by `startRedis`. */
export type RedisInstance = ServerInstance;

/**
 * Start a private redis-server on a free loopback port with its files in a temp dir. No RDB
 * snapshots; the append-only file is on (`appendfsync everysec`), so `restart()` — also after
 * `kill()` — keeps the data (a process kill loses nothing the server replied to: Redis writes the
 * AOF before it replies, and the OS keeps it; only a machine crash could lose the last second).
 *
 * @example
 * const redis = await startRedis();
 * const client = createClient({ url: redis.url });
 * afterAll(() => redis.stop());
 */
export function startRedis(): Promise<RedisInstance> {
  return startTcpServer({
    name: 'redis',
    scheme: 'redis',
    command: process.env.UNBUNDLED_REDIS_SERVER ?? 'redis-server',
    args: (port, dir) => [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--logfile',
      '',
    ],
    ready: async (port) => (await probeTcp(port, { send: 'PING\r\n' })).startsWith('+PONG'),
    stopSignal: 'SIGTERM',
    portTaken: /Address already in use|Could not create server TCP listening socket/i,
  });
}
