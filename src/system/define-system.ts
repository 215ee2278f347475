import { UnbundledError } from '../core/index.ts';
import type { KeyValue, Stream } from '../dataflow/index.ts';
import type { SourceDef } from './sources.ts';
import type { InferOutput } from './standard-schema.ts';
import type { StoreDef } from './stores.ts';
import type { TableDef } from './table.ts';

// biome-ignore lint/suspicious/noExplicitAny: any table definition
type AnyTables = Readonly<Record<string, TableDef<any>>>;
export type AnySources = Readonly<Record<string, SourceDef<AnyTables>>>;

/** What a view's `query` receives: for every source, a stream of rows per table. */
export type Inputs<S extends AnySources> = {
  readonly [K in keyof S]: S[K] extends SourceDef<infer T>
    ? { readonly [N in keyof T]: Stream<InferOutput<T[N]['schema']>> }
    : never;
};

/**
 * A derived view: a dataflow `query` over the sources' tables, the `key` that identifies its
 * rows, and the `store` it is materialized in. Its version is the hash of all three.
 */
export interface ViewDef<I, R> {
  readonly kind: 'view';
  readonly query: (inputs: I) => Stream<R>;
  readonly key: (row: R) => KeyValue;
  readonly store: StoreDef;
  readonly description?: string;
}

/** The `view` helper handed to `defineSystem`'s `views` function, typed by the sources. */
export type ViewFactory<I> = <R>(def: Omit<ViewDef<I, R>, 'kind'>) => ViewDef<I, R>;

/** A whole system: sources and views, frozen. The default export of `unbundled.config.ts`. */
export interface SystemDef<S extends AnySources = AnySources> {
  readonly kind: 'system';
  readonly name: string;
  readonly sources: S;
  // biome-ignore lint/suspicious/noExplicitAny: views of any row type
  readonly views: Readonly<Record<string, ViewDef<Inputs<S>, any>>>;
}

/** A system of any sources (what the runtime, planner and server accept). */
// biome-ignore lint/suspicious/noExplicitAny: views' input types vary per system
export type AnySystem = SystemDef<any>;

/**
 * Declare a data system. Types flow from each table's schema through the operators of a view's
 * query to its rows, so a wrong field name is a compile error.
 *
 * @example
 * export default defineSystem({
 *   name: 'shop',
 *   sources: { shop: database({ tables: { products } }) },
 *   views: (view) => ({
 *     productSearch: view({
 *       query: ({ shop }) => shop.products,
 *       key: (p) => p.id,
 *       store: search({ fields: ['name'] }),
 *     }),
 *   }),
 * });
 */
export function defineSystem<
  S extends AnySources,
  // biome-ignore lint/suspicious/noExplicitAny: each view has its own row type
  V extends Record<string, ViewDef<Inputs<S>, any>>,
>(def: { name?: string; sources: S; views: (view: ViewFactory<Inputs<S>>) => V }): SystemDef<S> {
  const factory: ViewFactory<Inputs<S>> = (v) => Object.freeze({ kind: 'view', ...v });
  const views = def.views(factory);
  for (const name of Object.keys(views)) checkName('view', name);
  for (const name of Object.keys(def.sources)) checkName('source', name);
  return Object.freeze({
    kind: 'system',
    name: def.name ?? 'unbundled',
    sources: Object.freeze({ ...def.sources }),
    views: Object.freeze({ ...views }),
  });
}

function checkName(what: string, name: string): void {
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(name)) {
    throw new UnbundledError(
      'SYSTEM_INVALID_NAME',
      `${what} name "${name}" is not allowed: use lower-case letters, digits and _ (starting ` +
        'with a letter, at most 48 characters), since it names topics, SQL tables and files',
    );
  }
}
