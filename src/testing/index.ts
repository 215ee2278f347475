export { freePort } from './free-port.ts';
export { type NatsInstance, natsServerBinary, startNats } from './nats.ts';
export * from './pglite-template.ts';
export { type PostgresInstance, type PostgresOptions, startPostgres } from './postgres.ts';
export { postgresBinDir, postgresUser, templateDataDir } from './postgres-binaries.ts';
export { type RedisInstance, startRedis } from './redis.ts';
export { killAllServersNow } from './server-process.ts';
export type { ServerInstance } from './tcp-server.ts';
export { probeTcp, sleep, type WaitForOptions, waitFor } from './wait-for.ts';
