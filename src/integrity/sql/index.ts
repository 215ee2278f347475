export * from './pg-pool-database.ts';
export * from './pglite-database.ts';
export * from './sql-executor.ts';
