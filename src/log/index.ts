export * from './embedded/index.ts';
export * from './errors.ts';
export * from './partitioner.ts';
export * from './types.ts';
