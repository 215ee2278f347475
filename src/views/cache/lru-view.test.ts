import { describe, expect, it } from 'vitest';
import { runViewConformance } from '../conformance.ts';
import { MemoryViewDatabase } from '../memory/memory-view.ts';
import { createLruView } from './lru-view.ts';

runViewConformance('LRU cache (capacity above the test data)', async () => {
  const database = new MemoryViewDatabase();
  return { open: async (name) => createLruView(name, { maxEntries: 1000, database }) };
});

describe('LRU view', () => {
  it('bounds entries per version, evicting the least recently used', async () => {
    const view = createLruView<number>('hot', { maxEntries: 3 });
    const v = view.version('v1');
    await v.open();
    await v.apply(
      ['a', 'b', 'c'].map((key, i) => ({ key, row: i })),
      { 't/0': 3 },
    );
    await view.promote('v1');
    expect(await view.get('a')).toBe(0); // a is now the most recently used
    await v.apply([{ key: 'd', row: 3 }], { 't/0': 4 });
    expect(await view.get('b')).toBeUndefined();
    expect((await view.scan({ limit: 10 })).rows.map((r) => r.key)).toEqual(['a', 'c', 'd']);
    expect(await view.position()).toEqual({ 't/0': 4 });
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => createLruView('x', { maxEntries: 0 })).toThrow(/maxEntries 0/);
  });
});
