/** The example of the README (kept here so the type-check proves it compiles). */

import {
  database,
  defineSystem,
  groupBy,
  join,
  keyBy,
  map,
  relational,
  search,
  sum,
  table,
} from 'unbundled';
import { z } from 'zod';

const products = table('products', {
  schema: z.object({
    id: z.string(),
    name: z.string(),
    category: z.string(),
    price: z.coerce.number(),
  }),
  key: 'id',
});
const orders = table('orders', {
  schema: z.object({ id: z.string(), product_id: z.string(), quantity: z.number().int() }),
  key: 'id',
});

export default defineSystem({
  sources: { shop: database({ tables: { products, orders } }) }, // PGlite, or Postgres if DATABASE_URL
  views: (view) => ({
    product_search: view({
      query: ({ shop }) => shop.products,
      key: (p) => p.id,
      store: search({ fields: ['name', 'category'] }),
    }),
    revenue_by_category: view({
      query: ({ shop }) =>
        shop.orders.pipe(
          keyBy((o) => o.product_id),
          join(shop.products.pipe(keyBy((p) => p.id))),
          map(([, [o, p]]) => ({ category: p.category, amount: o.quantity * p.price })),
          groupBy((r) => r.category, { revenue: sum((r) => r.amount) }),
          map(([category, g]) => ({ category, revenue: g.revenue })),
        ),
      key: (r) => r.category,
      store: relational({ columns: { category: 'text', revenue: 'float8' } }),
    }),
  }),
});
