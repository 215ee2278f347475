export * from './dead-letters.ts';
export * from './define-system.ts';
export { recomputeFromSource } from './recompute.ts';
export * from './runtime.ts';
export * from './sources.ts';
export * from './sql-client.ts';
export * from './standard-schema.ts';
export * from './stores.ts';
export * from './table.ts';
export { buildViewGraph, storeKey, tableTopic, type ViewGraph } from './view-graph.ts';
export type {
  CommitListener,
  ViewCommit,
  ViewPhase,
  ViewRunner,
  ViewStatus,
} from './view-runner.ts';
export { viewVersion } from './view-version.ts';
