export { type EmbeddedLog, openEmbeddedLog } from './embedded-log.ts';
export type { FsOps } from './fs-ops.ts';
export { nodeFsOps } from './fs-ops.ts';
export type { MaintenanceReport } from './maintenance.ts';
export type { EmbeddedLogOptions, LogLogger } from './options.ts';
export { type RepairAction, repairEmbeddedLog } from './repair.ts';
