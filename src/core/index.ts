export * from './bytes.ts';
export * from './change/index.ts';
export * from './errors.ts';
export * from './position.ts';
export * from './records.ts';
