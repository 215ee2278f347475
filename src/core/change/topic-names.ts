/**
 * Topic naming for captured tables: `<prefix>.<schema>.<table>`, e.g. `pg.public.orders`
 * (Debezium's `<topic.prefix>.<schema>.<table>`). Characters outside `[A-Za-z0-9_-]` in the
 * schema or table name are replaced by `_`, so quoted identifiers like "Order Items" become
 * `pg.public.Order_Items`. The transaction-boundary topic is `<prefix>.transactions`.
 *
 * @example topicForTable('public', 'orders') // 'pg.public.orders'
 */
export function topicForTable(schema: string, table: string, prefix = 'pg'): string {
  return `${prefix}.${safePart(schema)}.${safePart(table)}`;
}

/** The topic that carries one commit record per captured source transaction. */
export function transactionsTopic(prefix = 'pg'): string {
  return `${prefix}.transactions`;
}

function safePart(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, '_');
}
