export * from './partitioner.ts';
export * from './types.ts';
