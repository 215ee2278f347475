/** A tiny system for the DLQ CLI test: the view's map throws for negative amounts. */
import { z } from 'zod';
import { map } from '../../dataflow/index.ts';
import { database, defineSystem, memory, table } from '../../system/index.ts';

export const payments = table('payments', {
  schema: z.object({ id: z.string(), amount: z.number().int() }),
  key: 'id',
  ddl: 'create table if not exists payments (id text primary key, amount int not null)',
});

export default defineSystem({
  name: 'dlqfixture',
  sources: { db: database({ tables: { payments } }) },
  views: (view) => ({
    cents: view({
      query: ({ db }) =>
        db.payments.pipe(
          map((p) => {
            if (p.amount < 0) throw new Error(`negative amount ${p.amount} in ${p.id}`);
            return { id: p.id, cents: p.amount * 100 };
          }),
        ),
      key: (r) => r.id,
      store: memory(),
    }),
  }),
});
