import { describe, expect, it } from 'vitest';
import { runViewConformance } from '../conformance.ts';
import { createMemoryView, MemoryViewDatabase } from './memory-view.ts';

runViewConformance('memory', async () => {
  const database = new MemoryViewDatabase();
  return { open: async (name) => createMemoryView(name, { database }) };
});

describe('memory view', () => {
  it('starts empty in a new database (a process restart rebuilds from the log)', async () => {
    const a = createMemoryView<number>('x');
    const v = a.version('v1');
    await v.open();
    await v.apply([{ key: 'k', row: 1 }], { 't/0': 1 });
    const b = createMemoryView<number>('x').version('v1');
    expect(await b.open()).toEqual({ position: null });
  });

  it('evicts least recently used entries when bounded', async () => {
    const v = createMemoryView<number>('lru', { maxEntries: 2 }).version('v1');
    await v.open();
    await v.apply(
      [
        { key: 'a', row: 1 },
        { key: 'b', row: 2 },
      ],
      { 't/0': 2 },
    );
    expect(await v.get('a')).toBe(1);
    await v.apply([{ key: 'c', row: 3 }], { 't/0': 3 });
    expect(await v.get('b')).toBeUndefined();
    expect((await v.scan({ limit: 10 })).rows.map((r) => r.key)).toEqual(['a', 'c']);
  });
});
