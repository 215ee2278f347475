import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerInstance, startTcpServer } from './tcp-server.ts';
import { probeTcp } from './wait-for.ts';

/** A private nats-server with JetStream started by `startNats`. */
export type NatsInstance = ServerInstance;

/** The nats-server binary: $UNBUNDLED_NATS_SERVER, /usr/sbin/nats-server, or `nats-server` on PATH. */
export function natsServerBinary(): string {
  return (
    process.env.UNBUNDLED_NATS_SERVER ??
    (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server')
  );
}

/**
 * Start a private nats-server with JetStream on a free loopback port, its store in a temp dir.
 * `restart()` (also after `kill()`) reuses the same port and store, so streams survive. Note:
 * nats-server 2.9 fsyncs lazily; a process kill keeps data (the OS has it), a machine crash may not.
 *
 * @example
 * const nats = await startNats();
 * const nc = await connect({ servers: nats.url });
 * afterAll(() => nats.stop());
 */
export function startNats(): Promise<NatsInstance> {
  return startTcpServer({
    name: 'nats',
    scheme: 'nats',
    command: natsServerBinary(),
    args: (port, dir) => ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'store')],
    ready: async (port) => (await probeTcp(port)).startsWith('INFO'),
    stopSignal: 'SIGTERM',
    portTaken: /address already in use|Error listening/i,
  });
}
