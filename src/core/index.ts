export * from './bytes.ts';
export * from './errors.ts';
export * from './position.ts';
export * from './records.ts';
