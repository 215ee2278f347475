export * from './decision-watcher.ts';
export * from './unique-claims.ts';
export * from './unique-constraint.ts';
export * from './unique-decide.ts';
export * from './unique-processor.ts';
