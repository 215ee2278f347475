export type { SearchHit, SearchIndexOptions } from './search-index.ts';
export {
  createSearchView,
  type SearchableView,
  type SearchCallOptions,
  type SearchViewOptions,
} from './search-view.ts';
