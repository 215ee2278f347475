import { join } from 'node:path';
import { invalidArgument } from '../errors.ts';
import { mkdirDurable, readJsonFile, writeFileAtomic } from './atomic-file.ts';
import type { FsOps } from './fs-ops.ts';

/**
 * Durable consumer-group offsets: one JSON file per (group, topic) under `groups/`, replaced
 * atomically on every commit. Commits to the same file are serialized so none is lost.
 */
export class GroupOffsets {
  readonly #dir: string;
  readonly #root: string;
  readonly #ops: FsOps;
  readonly #cache = new Map<string, Record<number, number>>();
  readonly #chains = new Map<string, Promise<unknown>>();

  constructor(dir: string, ops: FsOps) {
    this.#dir = join(dir, 'groups');
    this.#root = dir;
    this.#ops = ops;
  }

  /** Merge `offsets` into the group's stored offsets for `topic`, durably. */
  commit(group: string, topic: string, offsets: Readonly<Record<number, number>>): Promise<void> {
    for (const [p, o] of Object.entries(offsets)) {
      if (!Number.isInteger(Number(p)) || !Number.isInteger(o) || o < 0) {
        throw invalidArgument(`offset ${o} for partition ${p} is not a non-negative integer`);
      }
    }
    const file = this.#file(group, topic);
    const run = async () => {
      const merged = { ...(await this.#load(file)), ...offsets };
      await mkdirDurable(this.#ops, join(file, '..'), this.#root);
      await writeFileAtomic(this.#ops, file, Buffer.from(JSON.stringify(merged)));
      this.#cache.set(file, merged);
    };
    const next = (this.#chains.get(file) ?? Promise.resolve()).then(run, run);
    this.#chains.set(file, next);
    return next;
  }

  /** The stored offsets (partition → next offset to read). */
  async fetch(group: string, topic: string): Promise<Record<number, number>> {
    const file = this.#file(group, topic);
    await this.#chains.get(file)?.catch(() => {});
    return { ...(await this.#load(file)) };
  }

  async #load(file: string): Promise<Record<number, number>> {
    const cached = this.#cache.get(file);
    if (cached !== undefined) return cached;
    const stored = ((await readJsonFile(file)) ?? {}) as Record<number, number>;
    this.#cache.set(file, stored);
    return stored;
  }

  #file(group: string, topic: string): string {
    if (group.length === 0) throw invalidArgument('a consumer group name cannot be empty');
    return join(this.#dir, encodeURIComponent(group), `${topic}.json`);
  }
}
