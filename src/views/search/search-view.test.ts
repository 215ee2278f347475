import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runViewConformance } from '../conformance.ts';
import { createSearchView } from './search-view.ts';

runViewConformance('search (MiniSearch snapshot)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ub-search-'));
  return {
    open: async (name) => createSearchView(name, { dir, fields: ['title', 'tags'] }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('search view', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'ub-search-'));
    dirs.push(d);
    return d;
  };
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  interface Product {
    name: string;
    color: string;
  }

  it('searches the live version, following updates and deletes', async () => {
    const dir = await tempDir();
    const view = createSearchView<Product>('products', { dir, fields: ['name', 'color'] });
    const v1 = view.version('v1');
    await v1.open();
    await v1.apply(
      [
        { key: 'p1', row: { name: 'running shoe', color: 'blue' } },
        { key: 'p2', row: { name: 'rain jacket', color: 'blue' } },
        { key: 'p3', row: { name: 'trail shoe', color: 'red' } },
      ],
      { 'p/0': 3 },
    );
    await view.promote('v1');
    expect((await view.search('shoe')).map((h) => h.key).sort()).toEqual(['p1', 'p3']);
    await v1.apply(
      [
        { key: 'p1', row: { name: 'sandal', color: 'blue' } },
        { key: 'p3', row: null },
      ],
      {
        'p/0': 5,
      },
    );
    expect(await view.search('shoe')).toEqual([]);
    const hits = await view.search('blu', { prefix: true, limit: 1 });
    expect(hits).toHaveLength(1);
    expect(hits[0]?.row.color).toBe('blue');
    await view.close();
  });

  it('resumes from the last snapshot, not from unsaved writes (replayed from the log)', async () => {
    const dir = await tempDir();
    const opts = { dir, fields: ['name'], snapshotEveryWrites: 3, snapshotIntervalMs: 60_000 };
    const view = createSearchView<Product>('p', opts);
    const v = view.version('v1');
    await v.open();
    await v.apply(
      [
        { key: 'a', row: { name: 'x', color: 'y' } },
        { key: 'b', row: { name: 'x', color: 'y' } },
      ],
      { 'p/0': 2 },
    );
    await v.apply([{ key: 'c', row: { name: 'x', color: 'y' } }], { 'p/0': 3 });
    // Not saved: the process "dies" here without close().
    const reopened = createSearchView<Product>('p', opts).version('v1');
    expect(await reopened.open()).toEqual({ position: { 'p/0': 2 } });
    expect(await reopened.get('c')).toBeUndefined();
    expect((await readdir(join(dir, 'p'))).filter((f) => f.includes('.tmp'))).toEqual([]);
    await view.close();
  });
});
