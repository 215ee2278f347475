import { UnbundledError } from '../../core/errors.ts';
import type { SearchHit } from '../search/search-index.ts';
import { storeError } from '../store-error.ts';
import { quoteIdent } from '../version-name.ts';
import { rawTypes, rowDecoder } from './columns.ts';
import { PostgresView, type PostgresViewOptions } from './postgres-view.ts';

/** Options of `createPostgresSearchView`: a Postgres view plus the fields to index. */
export interface PostgresSearchViewOptions extends PostgresViewOptions {
  /** Row fields whose text is indexed (typed columns, or keys of the jsonb row). */
  readonly fields: readonly string[];
  /** Text search configuration (default 'english'). */
  readonly config?: string;
}

/**
 * Postgres full-text search over a view: each version table gets a generated `search tsvector`
 * column over `fields` and a GIN index; `search(q)` runs `websearch_to_tsquery` against the live
 * version, ranked by `ts_rank`. Writes, positions and promotion are those of `createPostgresView`.
 *
 * @example
 * const products = createPostgresSearchView<Product>('products', { pool, columns: { name: 'text' }, fields: ['name'] });
 * await products.search('"running shoe" -trail');
 */
export function createPostgresSearchView<Row>(
  name: string,
  options: PostgresSearchViewOptions,
): PostgresSearchView<Row> {
  return new PostgresSearchView<Row>(name, options);
}

/** A Postgres view with a full-text `search` (see `createPostgresSearchView`). */
export class PostgresSearchView<Row> extends PostgresView<Row> {
  readonly #config: string;

  constructor(name: string, options: PostgresSearchViewOptions) {
    const config = options.config ?? 'english';
    if (!/^[a-z_]+$/.test(config) || options.fields.length === 0) throw badOptions(name);
    for (const f of options.fields) {
      if (options.columns !== undefined && !(f in options.columns)) throw badField(name, f);
    }
    super(name, options, { config, fields: options.fields });
    this.#config = config;
  }

  /** Full-text search of the live version; best matches first (ties by key). */
  async search(query: string, options: { limit?: number } = {}): Promise<SearchHit<Row>[]> {
    const ctx = this.context;
    const text = `SELECT v.*, ts_rank(v.search, q) AS _ub_score
      FROM ${quoteIdent(this.name)} v, websearch_to_tsquery($2::regconfig, $1) q
      WHERE v.search @@ q ORDER BY _ub_score DESC, v.key LIMIT $3`;
    const values = [query, this.#config, options.limit ?? 20];
    try {
      const r = await ctx.pool.query({ text, values, types: rawTypes });
      const decode = rowDecoder(r.fields);
      return r.rows.map((x) => ({ key: x.key, score: x._ub_score, row: decode(x) as Row }));
    } catch (err) {
      if ((err as { code?: string }).code === '42P01') return [];
      throw storeError(`view "${this.name}": search`, err);
    }
  }
}

function badOptions(name: string) {
  return new UnbundledError(
    'VIEW_OPTIONS_INVALID',
    `search view "${name}" needs at least one field and a plain text search config name (e.g. 'english', 'simple')`,
  );
}

function badField(name: string, field: string) {
  return new UnbundledError(
    'VIEW_OPTIONS_INVALID',
    `search view "${name}": field "${field}" is not a declared column; add it to columns or remove it from fields`,
  );
}
