export * from './outbox/index.ts';
export * from './pglite/index.ts';
export * from './postgres/index.ts';
