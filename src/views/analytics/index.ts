export { type AnalyticsView, createDuckDbView, type DuckDbViewOptions } from './duckdb-view.ts';
