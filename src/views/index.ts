/** Derived views: stores that commit their log position atomically with their data. */
export * from './analytics/index.ts';
export * from './batch.ts';
export * from './cache/index.ts';
export type * from './column-types.ts';
export * from './json-codec.ts';
export * from './memory/index.ts';
export * from './position-check.ts';
export * from './postgres/index.ts';
export * from './search/index.ts';
export type * from './types.ts';
export { versionTableName } from './version-name.ts';
