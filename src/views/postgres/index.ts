export type { PgColumns, PgColumnType } from './columns.ts';
export {
  createPostgresSearchView,
  PostgresSearchView,
  type PostgresSearchViewOptions,
} from './postgres-search-view.ts';
export { createPostgresView, PostgresView, type PostgresViewOptions } from './postgres-view.ts';
