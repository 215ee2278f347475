import type { InferOutput, StandardSchemaV1 } from './standard-schema.ts';

/**
 * A captured table of the source of truth: its name, a schema for its rows (zod or any Standard
 * Schema; the schema's output type is the row type views see), and its primary key column.
 * Column values arrive decoded exactly (int8 → bigint, numeric → string); coerce in the schema
 * where a view wants numbers (`z.coerce.number()`).
 *
 * @example
 * const products = table('products', {
 *   schema: z.object({ id: z.string(), name: z.string(), price: z.coerce.number() }),
 *   key: 'id',
 * });
 */
export interface TableDef<S extends StandardSchemaV1 = StandardSchemaV1> {
  readonly kind: 'table';
  /** Table name, optionally schema-qualified ('orders' = public.orders). */
  readonly name: string;
  readonly schema: S;
  readonly key: keyof InferOutput<S> & string;
  /** SQL to create the table when the source is embedded and the table is missing. */
  readonly ddl?: string;
}

export function table<S extends StandardSchemaV1>(
  name: string,
  def: { schema: S; key: keyof InferOutput<S> & string; ddl?: string },
): TableDef<S> {
  return Object.freeze({ kind: 'table', name, ...def });
}

/** Split 'sales.orders' into schema and table ('public' by default). */
export function qualifiedName(name: string): { schema: string; table: string } {
  const dot = name.indexOf('.');
  return dot < 0
    ? { schema: 'public', table: name }
    : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}
