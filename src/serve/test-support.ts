/**
 * A small system for the serve tests and bench: one PGlite table `items`, a memory view of
 * every item, a per-category aggregate and a search view, plus a random write load with
 * inserts, updates and deletes (so a missed or doubled change shows in the final state).
 */
import { z } from 'zod';
import { count, groupBy, map, sum } from '../dataflow/index.ts';
import {
  database,
  defineSystem,
  memory,
  type Runtime,
  search,
  startSystem,
  table,
} from '../system/index.ts';

export const items = table('items', {
  schema: z.object({
    id: z.string(),
    category: z.string(),
    title: z.string(),
    n: z.number().int(),
  }),
  key: 'id',
  ddl: `create table if not exists items (
    id text primary key, category text not null, title text not null, n int not null)`,
});

export const testSystem = defineSystem({
  name: 'servetest',
  sources: { main: database({ tables: { items } }) },
  views: (view) => ({
    items: view({ query: ({ main }) => main.items, key: (r) => r.id, store: memory() }),
    per_category: view({
      query: ({ main }) =>
        main.items.pipe(
          groupBy((r) => r.category, { items: count(), total: sum((r) => r.n) }),
          map(([category, g]) => ({ category, items: g.items, total: g.total })),
        ),
      key: (r) => r.category,
      store: memory(),
    }),
    item_search: view({
      query: ({ main }) => main.items,
      key: (r) => r.id,
      store: search({ fields: ['title', 'category'] }),
    }),
  }),
});

const WORDS = ['red', 'blue', 'green', 'shoe', 'lamp', 'chair', 'table', 'boat', 'kite', 'book'];

/** Random writes: each `tick` is one transaction of inserts, updates and deletes over `keys` ids. */
export class ItemLoad {
  readonly #rt: Runtime;
  readonly #keys: number;
  #seed: number;
  transactions = 0;

  constructor(runtime: Runtime, options: { keys?: number; seed?: number } = {}) {
    this.#rt = runtime;
    this.#keys = options.keys ?? 200;
    this.#seed = options.seed ?? 1;
  }

  #rand(): number {
    this.#seed = (this.#seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return this.#seed / 0x80000000;
  }

  async tick(writes = 5): Promise<void> {
    const sql = this.#rt.source('main').sql;
    await sql.transaction(async (tx) => {
      for (let i = 0; i < writes; i++) {
        const id = `i${Math.floor(this.#rand() * this.#keys)}`;
        if (this.#rand() < 0.2) await tx.query('delete from items where id = $1', [id]);
        else {
          const w = WORDS[Math.floor(this.#rand() * WORDS.length)]!;
          const cat = `c${Math.floor(this.#rand() * 5)}`;
          await tx.query(
            `insert into items (id, category, title, n) values ($1, $2, $3, $4)
             on conflict (id) do update set category = excluded.category, title = excluded.title, n = excluded.n`,
            [id, cat, `${w} ${id}`, Math.floor(this.#rand() * 100)],
          );
        }
      }
    });
    this.transactions++;
  }
}

/** Start the test system in `dataDir` and wait until every view is live. */
export async function startTestSystem(dataDir: string): Promise<Runtime> {
  const rt = await startSystem(testSystem, { dataDir });
  await new ItemLoad(rt, { seed: 7 }).tick(1);
  const deadline = Date.now() + 60_000;
  while (rt.viewStatus().some((s) => s.phase !== 'live')) {
    if (Date.now() > deadline)
      throw new Error(`views not live: ${JSON.stringify(rt.viewStatus())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return rt;
}

let marker = 0;

/** Write a marker row and wait until the `items` view shows it: every earlier write is applied. */
export async function settle(rt: Runtime, timeoutMs = 30_000): Promise<void> {
  const id = `zz-settle-${++marker}`;
  const sql = rt.source('main').sql;
  await sql.query(`insert into items values ($1, 'cz', 'marker', 0)`, [id]);
  const deadline = Date.now() + timeoutMs;
  while ((await rt.view('items').get(id)) === undefined) {
    if (Date.now() > deadline)
      throw new Error(`writes did not reach the views within ${timeoutMs} ms (capture stalled?)`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await sql.query('delete from items where id = $1', [id]);
  while ((await rt.view('items').get(id)) !== undefined)
    await new Promise((r) => setTimeout(r, 20));
}
