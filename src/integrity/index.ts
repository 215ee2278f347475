export * from './idempotency/index.ts';
export * from './sql/index.ts';
