export * from './constraints/index.ts';
export * from './dedupe/index.ts';
export * from './events/index.ts';
export * from './idempotency/index.ts';
export * from './saga/index.ts';
export * from './sql/index.ts';
export * from './transfers/index.ts';
export * from './wait-for-position.ts';
