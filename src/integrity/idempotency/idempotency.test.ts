import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe } from 'vitest';
import { pgliteDatabase } from '../sql/index.ts';
import { runIdempotencySuite } from '../test-support/idempotency-suite.ts';

describe('idempotency on PGlite (single session)', () => {
  // PGlite takes seconds to boot on a busy 2-core machine: one instance, tables reset per test.
  const pglite = PGlite.create();
  afterAll(async () => (await pglite).close());
  runIdempotencySuite(async () => ({ db: pgliteDatabase(await pglite), close: async () => {} }));
});
