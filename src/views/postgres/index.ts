export type { PgColumns, PgColumnType } from './columns.ts';
export { createPostgresView, PostgresView, type PostgresViewOptions } from './postgres-view.ts';
