/**
 * unbundled — the database, unbundled. The main entry has what an `unbundled.config.ts` needs:
 * `defineSystem`, sources and tables, view stores, and the dataflow operators. Subsystems are
 * also exported under `unbundled/<subsystem>` (log, capture, dataflow, views, integrity, system,
 * serve, client, testing).
 */
export * from './core/index.ts';
export * from './dataflow/index.ts';
export * from './log/index.ts';
export * from './system/index.ts';
