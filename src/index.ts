/**
 * unbundled — the database, unbundled. Public entry point; subsystems are also exported under
 * `unbundled/<subsystem>`.
 */
export * from './core/index.ts';
export * from './log/index.ts';
