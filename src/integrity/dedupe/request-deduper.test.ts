import { describe, expect, it } from 'vitest';
import { HEADERS } from '../../core/index.ts';
import { dedupeByRequestId, RequestDeduper } from './request-deduper.ts';

const rec = (id: string | undefined, seq?: string) => ({
  headers: {
    ...(id === undefined ? {} : { [HEADERS.requestId]: id }),
    ...(seq === undefined ? {} : { 'ub-request-seq': seq }),
  },
});

describe('RequestDeduper', () => {
  it('drops repeated (request id, seq), keeps records of one request with other seqs', () => {
    const d = new RequestDeduper();
    const out = dedupeByRequestId(
      [rec('a', '0'), rec('a', '1'), rec('a', '0'), rec(undefined), rec(undefined)],
      d,
    );
    expect(out).toHaveLength(4);
  });

  it('forgets beyond its window and restores from a snapshot', () => {
    const d = new RequestDeduper({ window: 2 });
    for (const id of ['a', 'b', 'c']) d.isDuplicate(rec(id));
    expect(d.snapshot()).toEqual(['b#0', 'c#0']);
    const restored = new RequestDeduper({ window: 2, snapshot: d.snapshot() });
    expect(restored.isDuplicate(rec('c'))).toBe(true);
    expect(restored.isDuplicate(rec('a'))).toBe(false);
  });
});
