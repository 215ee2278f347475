export type { CaptureStatus } from './capture-status.ts';
export { type CaptureLag, PostgresSource, postgres } from './postgres-source.ts';
export type { SnapshotProgress } from './snapshot.ts';
export type { PostgresSourceOptions } from './source-options.ts';
