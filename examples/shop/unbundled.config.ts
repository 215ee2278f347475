/**
 * The shop: the main job of `npm start`. PGlite is the source of truth (or real Postgres when
 * DATABASE_URL is set); five views are derived from its tables through the log.
 */
import { z } from 'zod';
import {
  count,
  groupBy,
  join,
  keyBy,
  map,
  sum,
  topK,
  tumbling,
  window,
} from '../../src/dataflow/index.ts';
import {
  analytics,
  cache,
  database,
  defineSystem,
  memory,
  relational,
  search,
  table,
} from '../../src/system/index.ts';

/** Postgres timestamptz text ('2026-11-21 12:00:00.123+00') to epoch ms. */
export function pgTimestampMs(text: string): number {
  const iso = text.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a timestamptz: ${text}`);
  return ms;
}

function byUnitsThenId(
  a: { units: number; product_id: string },
  b: { units: number; product_id: string },
): number {
  return (
    b.units - a.units || (a.product_id < b.product_id ? -1 : a.product_id > b.product_id ? 1 : 0)
  );
}

export const products = table('products', {
  schema: z.object({
    id: z.string(),
    name: z.string(),
    category: z.string(),
    price: z.coerce.number(),
    description: z.string(),
  }),
  key: 'id',
  ddl: `create table if not exists products (
    id text primary key, name text not null, category text not null,
    price numeric(10,2) not null, description text not null default '')`,
});

export const users = table('users', {
  schema: z.object({ id: z.string(), name: z.string(), email: z.string(), country: z.string() }),
  key: 'id',
  ddl: `create table if not exists users (
    id text primary key, name text not null, email text not null, country text not null)`,
});

export const orders = table('orders', {
  schema: z.object({
    id: z.string(),
    user_id: z.string(),
    product_id: z.string(),
    quantity: z.number().int(),
    status: z.enum(['placed', 'paid', 'shipped', 'cancelled']),
    created_at: z.string().transform(pgTimestampMs),
  }),
  key: 'id',
  ddl: `create table if not exists orders (
    id text primary key, user_id text not null, product_id text not null,
    quantity int not null, status text not null, created_at timestamptz not null)`,
});

export default defineSystem({
  name: 'shop',
  sources: { shop: database({ tables: { products, users, orders } }) },
  views: (view) => ({
    /** Full-text search over the catalogue. */
    product_search: view({
      query: ({ shop }) => shop.products,
      key: (p) => p.id,
      store: search({ fields: ['name', 'category', 'description'] }),
    }),

    /** Orders by id, for the order page. */
    order_by_id: view({
      query: ({ shop }) => shop.orders,
      key: (o) => o.id,
      store: cache({ maxEntries: 200_000 }),
    }),

    /** Revenue per category per minute of order time (event time, not arrival time). */
    revenue_per_minute: view({
      query: ({ shop }) =>
        shop.orders.pipe(
          keyBy((o) => o.product_id),
          join(shop.products.pipe(keyBy((p) => p.id))),
          map(([, [o, p]]) => ({
            category: p.category,
            amount: o.status === 'cancelled' ? 0 : o.quantity * p.price,
            at: o.created_at,
          })),
          window({
            windows: tumbling(60_000),
            eventTime: (r) => r.at,
            key: (r) => r.category,
            aggregates: { revenue: sum((r) => r.amount), orders: count() },
            outOfOrderness: 5_000,
            allowedLateness: 3_600_000,
          }),
          map(([, w]) => ({
            category: w.key,
            minute: new Date(w.start).toISOString(),
            revenue: Math.round(w.revenue * 100) / 100,
            orders: w.orders,
          })),
        ),
      key: (r) => `${r.category}@${r.minute}`,
      store: analytics({
        columns: { category: 'text', minute: 'text', revenue: 'float8', orders: 'int4' },
      }),
    }),

    /** The ten products with the most units ordered (cancelled orders excluded). */
    top_products: view({
      query: ({ shop }) =>
        shop.orders.pipe(
          groupBy((o) => o.product_id, {
            units: sum((o) => (o.status === 'cancelled' ? 0 : o.quantity)),
          }),
          join(shop.products.pipe(keyBy((p) => p.id))),
          map(([, [g, p]]) => ({ product_id: p.id, name: p.name, units: g.units })),
          keyBy(() => 'top'),
          topK({ limit: 10, compare: byUnitsThenId }),
          map(([, r]) => r),
        ),
      key: (r) => r.product_id,
      store: memory(),
    }),

    /** Orders joined with their user and product: one wide row per order. */
    order_details: view({
      query: ({ shop }) =>
        shop.orders.pipe(
          keyBy((o) => o.user_id),
          join(shop.users.pipe(keyBy((u) => u.id))),
          map(([, [o, u]]) => ({ o, u })),
          keyBy(({ o }) => o.product_id),
          join(shop.products.pipe(keyBy((p) => p.id))),
          map(([, [{ o, u }, p]]) => ({
            order_id: o.id,
            user_name: u.name,
            country: u.country,
            product: p.name,
            category: p.category,
            quantity: o.quantity,
            amount: Math.round(o.quantity * p.price * 100) / 100,
            status: o.status,
            created_at: new Date(o.created_at).toISOString(),
          })),
        ),
      key: (r) => r.order_id,
      store: relational({
        columns: {
          order_id: 'text',
          user_name: 'text',
          country: 'text',
          product: 'text',
          category: 'text',
          quantity: 'int4',
          amount: 'float8',
          status: 'text',
          created_at: 'text',
        },
      }),
    }),
  }),
});
