/** A captured table: schema and name, unquoted. */
export interface TableRef {
  readonly schema: string;
  readonly table: string;
}

/** Parse 'orders' (schema public) or 'sales.orders'. */
export function parseTableRef(name: string): TableRef {
  const dot = name.indexOf('.');
  return dot < 0
    ? { schema: 'public', table: name }
    : { schema: name.slice(0, dot), table: name.slice(dot + 1) };
}

/** Quote an identifier for SQL. */
export function quoteIdent(id: string): string {
  return `"${id.replace(/"/g, '""')}"`;
}

/** `"schema"."table"` */
export function qualified(t: TableRef): string {
  return `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

/** Quote a string literal for SQL (standard_conforming_strings on). */
export function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
