export { CHANGE_TABLE, NOTIFY_CHANNEL } from './capture-sql.ts';
export type { RelayPass } from './change-relay.ts';
export { LOCK_FILE, lockDataDir } from './data-dir-lock.ts';
export { type InstallOptions, installCapture } from './install-capture.ts';
export { type PgliteLag, PgliteSource, pgliteSource } from './pglite-source.ts';
export type { PgliteSourceOptions } from './source-options.ts';
