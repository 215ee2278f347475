import type { SqlClient } from '../../src/system/index.ts';

const CATEGORIES = ['books', 'games', 'garden', 'kitchen', 'music', 'outdoor', 'tools', 'toys'];
const ADJECTIVES = ['red', 'quiet', 'rapid', 'golden', 'tiny', 'sturdy', 'smart', 'classic'];
const NOUNS = ['lamp', 'kettle', 'novel', 'drill', 'puzzle', 'guitar', 'tent', 'chair', 'robot'];
const COUNTRIES = ['DE', 'FR', 'NL', 'SE', 'US', 'JP', 'BR', 'IN'];
const STATUSES = ['paid', 'shipped', 'cancelled'] as const;

/** A small deterministic PRNG (mulberry32) so a seed reproduces a load. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LoadStats {
  orders: number;
  updates: number;
  deletes: number;
  transactions: number;
}

/**
 * Writes a shop's traffic through SQL (so everything reaches the views through capture): a
 * catalogue and users once, then per tick one transaction that places orders, moves some
 * earlier ones along (paid, shipped, cancelled), sometimes changes a price or a user's country,
 * and occasionally deletes an order.
 */
export class ShopLoad {
  readonly stats: LoadStats = { orders: 0, updates: 0, deletes: 0, transactions: 0 };
  readonly #sql: SqlClient;
  readonly #rand: () => number;
  readonly #products: number;
  readonly #users: number;
  #nextOrder = 0;

  constructor(sql: SqlClient, options: { seed?: number; products?: number; users?: number } = {}) {
    this.#sql = sql;
    this.#rand = prng(options.seed ?? 42);
    this.#products = options.products ?? 200;
    this.#users = options.users ?? 1_000;
  }

  /** Insert the catalogue and users if the tables are empty; resume order ids otherwise. */
  async seed(): Promise<void> {
    const { rows } = await this.#sql.query<{ n: string }>(
      'select count(*)::text as n from products',
    );
    if (Number(rows[0]?.n ?? 0) === 0) {
      const ids = range(this.#products, (i) => `p${i}`);
      await this.#sql.query(
        `insert into products (id, name, category, price, description)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[])`,
        [
          ids,
          ids.map((_, i) => `${pick(ADJECTIVES, i)} ${pick(NOUNS, i * 7)} ${i}`),
          ids.map((_, i) => pick(CATEGORIES, i)),
          ids.map(() => (1 + Math.floor(this.#rand() * 9900) / 100).toFixed(2)),
          ids.map((_, i) => `A ${pick(ADJECTIVES, i + 3)} thing for ${pick(CATEGORIES, i)} lovers`),
        ],
      );
      const users = range(this.#users, (i) => `u${i}`);
      await this.#sql.query(
        `insert into users (id, name, email, country)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
        [
          users,
          users.map((u) => `User ${u}`),
          users.map((u) => `${u}@example.com`),
          users.map((_, i) => pick(COUNTRIES, i)),
        ],
      );
    }
    const max = await this.#sql.query<{ n: string | null }>(
      `select max(substring(id from 2)::int)::text as n from orders`,
    );
    this.#nextOrder = Number(max.rows[0]?.n ?? -1) + 1;
  }

  /** One transaction: `orders` new orders, and status changes / a delete among recent ones. */
  async tick(orders: number): Promise<void> {
    const r = this.#rand;
    const ids = range(orders, () => `o${this.#nextOrder++}`);
    const now = Date.now();
    await this.#sql.transaction(async (tx) => {
      await tx.query(
        `insert into orders (id, user_id, product_id, quantity, status, created_at)
         select id, u, p, q, 'placed', timestamptz 'epoch' + t * interval '1 millisecond'
         from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int8[]) as x(id, u, p, q, t)`,
        [
          ids,
          ids.map(() => `u${Math.floor(r() * this.#users)}`),
          ids.map(() => `p${Math.floor(skewed(r()) * this.#products)}`),
          ids.map(() => 1 + Math.floor(r() * 4)),
          ids.map(() => now - Math.floor(r() * 3_000)),
        ],
      );
      const recent = range(
        Math.ceil(orders / 2),
        () => `o${Math.max(0, this.#nextOrder - 1 - Math.floor(r() * 500))}`,
      );
      await tx.query('update orders set status = $2 where id = any($1::text[])', [
        recent,
        STATUSES[Math.floor(r() * STATUSES.length)],
      ]);
      this.stats.updates += recent.length;
      if (r() < 0.3) {
        await tx.query('update products set price = $2 where id = $1', [
          `p${Math.floor(skewed(r()) * this.#products)}`,
          (1 + Math.floor(r() * 9900) / 100).toFixed(2),
        ]);
        this.stats.updates++;
      }
      if (r() < 0.2) {
        await tx.query('update users set country = $2 where id = $1', [
          `u${Math.floor(r() * this.#users)}`,
          pick(COUNTRIES, Math.floor(r() * COUNTRIES.length)),
        ]);
        this.stats.updates++;
      }
      if (r() < 0.2 && this.#nextOrder > 1_000) {
        await tx.query('delete from orders where id = $1', [
          `o${Math.floor(r() * (this.#nextOrder - 1_000))}`,
        ]);
        this.stats.deletes++;
      }
    });
    this.stats.orders += orders;
    this.stats.transactions++;
  }
}

function range<T>(n: number, f: (i: number) => T): T[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

function pick<T>(list: readonly T[], i: number): T {
  return list[i % list.length]!;
}

/** Skew towards low ids so top-K has a stable head and a churning tail. */
function skewed(x: number): number {
  return x * x;
}
