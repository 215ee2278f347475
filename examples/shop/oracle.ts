/**
 * The shop's views written as SQL over the source tables: the independent oracle the property
 * and fault tests compare every view with (besides `recomputeFromSource`).
 */
import { encodeCanonical } from '../../src/dataflow/index.ts';
import { type Runtime, recomputeFromSource, type SqlClient } from '../../src/system/index.ts';
import system from './unbundled.config.ts';

export type ViewRows = Map<string, unknown>;

/** Every row of a view through its live version, as key → row. */
export async function readView(rt: Runtime, name: string): Promise<ViewRows> {
  const out: ViewRows = new Map();
  let cursor: string | undefined;
  do {
    const page = await rt
      .view(name)
      .scan(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
    for (const { key, row } of page.rows) out.set(key, row);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return out;
}

/** Keys whose rows differ (missing, extra or unequal), at most `max` described. */
export function diffRows(actual: ViewRows, expected: ViewRows, max = 5): string[] {
  const out: string[] = [];
  const keys = new Set([...actual.keys(), ...expected.keys()]);
  for (const k of [...keys].sort()) {
    const a = actual.has(k) ? encodeCanonical(actual.get(k)) : 'missing';
    const e = expected.has(k) ? encodeCanonical(expected.get(k)) : 'missing';
    if (a !== e) out.push(`${k}: view ${a} ≠ expected ${e}`);
    if (out.length >= max) break;
  }
  return out;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** The shop's views as SQL; revenue windows only up to the watermark (what has fired). */
export async function sqlOracle(
  sql: SqlClient,
): Promise<{ views: Record<string, ViewRows>; watermarkMs: number }> {
  const products = await sql.query<{
    id: string;
    name: string;
    category: string;
    price: string;
    description: string;
  }>('select id, name, category, price::text as price, description from products');
  const orders = await sql.query<{
    id: string;
    status: string;
    quantity: number;
    user_id: string;
    product_id: string;
    created_at: string;
  }>(
    `select id, user_id, product_id, quantity, status,
            to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at from orders`,
  );
  const details = await sql.query<Record<string, unknown>>(
    `select o.id as order_id, u.name as user_name, u.country, p.name as product, p.category, o.quantity,
            round(o.quantity * p.price, 2)::float8 as amount, o.status,
            to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
       from orders o join users u on u.id = o.user_id join products p on p.id = o.product_id`,
  );
  const top = await sql.query<{ product_id: string; name: string; units: string }>(
    `select p.id as product_id, p.name, sum(case when o.status = 'cancelled' then 0 else o.quantity end)::text as units
       from orders o join products p on p.id = o.product_id
      group by p.id, p.name order by sum(case when o.status = 'cancelled' then 0 else o.quantity end) desc, p.id
      limit 10`,
  );
  const revenue = await sql.query<{
    category: string;
    minute: string;
    revenue: string;
    orders: string;
  }>(
    `with wm as (select max(o.created_at) - interval '5 seconds' as w
                  from orders o join products p on p.id = o.product_id)
     select p.category, to_char(date_trunc('minute', o.created_at at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as minute,
            sum(case when o.status = 'cancelled' then 0 else o.quantity * p.price end)::text as revenue,
            count(*)::text as orders
       from orders o join products p on p.id = o.product_id, wm
      where date_trunc('minute', o.created_at) + interval '1 minute' <= wm.w
      group by 1, 2`,
  );
  const wm = await sql.query<{ w: string | null }>(
    `select (extract(epoch from max(o.created_at) - interval '5 seconds') * 1000)::int8::text as w
       from orders o join products p on p.id = o.product_id`,
  );
  const views = {
    product_search: new Map(products.rows.map((p) => [p.id, { ...p, price: Number(p.price) }])),
    order_by_id: new Map(
      orders.rows.map((o) => [o.id, { ...o, created_at: Date.parse(o.created_at) }]),
    ),
    order_details: new Map(details.rows.map((d) => [String(d.order_id), d])),
    top_products: new Map(top.rows.map((t) => [t.product_id, { ...t, units: Number(t.units) }])),
    revenue_per_minute: new Map(
      revenue.rows.map((r) => [
        `${r.category}@${r.minute}`,
        {
          category: r.category,
          minute: r.minute,
          revenue: round2(Number(r.revenue)),
          orders: Number(r.orders),
        },
      ]),
    ),
  };
  return { views, watermarkMs: Number(wm.rows[0]?.w ?? 0) };
}

function firedOnly(rows: ViewRows, watermarkMs: number): ViewRows {
  return new Map(
    [...rows].filter(
      ([, r]) => Date.parse((r as { minute: string }).minute) + 60_000 <= watermarkMs,
    ),
  );
}

/** Differences between every view and both oracles (empty when all agree). */
export async function compareWithOracles(rt: Runtime): Promise<string[]> {
  const sql = rt.source('shop').sql;
  const { views: expected, watermarkMs } = await sqlOracle(sql);
  const out: string[] = [];
  for (const name of Object.keys(system.views)) {
    let actual = await readView(rt, name);
    const recomputed: ViewRows = new Map(
      (await recomputeFromSource(system, name, () => sql)).map((w) => [w.key, w.row]),
    );
    if (name === 'revenue_per_minute') {
      actual = firedOnly(actual, watermarkMs);
      out.push(
        ...diffRows(actual, firedOnly(recomputed, watermarkMs)).map(
          (d) => `${name} vs recompute: ${d}`,
        ),
      );
    } else {
      out.push(...diffRows(actual, recomputed).map((d) => `${name} vs recompute: ${d}`));
    }
    out.push(...diffRows(actual, expected[name]!).map((d) => `${name} vs SQL: ${d}`));
  }
  return out;
}
