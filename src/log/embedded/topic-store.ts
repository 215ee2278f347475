import { join } from 'node:path';
import { invalidArgument } from '../errors.ts';
import type { TopicConfig, TopicInfo } from '../types.ts';
import { mkdirDurable, readJsonFile, writeFileAtomic } from './atomic-file.ts';
import { type FsOps, listDir } from './fs-ops.ts';

const NAME_RE = /^[A-Za-z0-9._-]{1,200}$/;

/** Throw unless `name` is a usable topic name (it becomes a directory name). */
export function checkTopicName(name: string): void {
  if (!NAME_RE.test(name) || name === '.' || name === '..') {
    throw invalidArgument(
      `topic name "${name}" is not allowed; use 1-200 characters of A-Z a-z 0-9 . _ -`,
      { topic: name },
    );
  }
}

/** Throw unless `config` is valid. */
export function checkTopicConfig(name: string, config: TopicConfig): void {
  if (!Number.isInteger(config.partitions) || config.partitions < 1) {
    throw invalidArgument(
      `topic "${name}": partitions must be an integer >= 1, got ${config.partitions}`,
    );
  }
}

/** Directory of a topic. */
export function topicDir(root: string, name: string): string {
  return join(root, 'topics', name);
}

/** Directory of a partition. */
export function partitionDir(root: string, name: string, partition: number): string {
  return join(topicDir(root, name), String(partition));
}

/** Durably write a topic's metadata (`topic.json`). */
export async function saveTopic(ops: FsOps, root: string, info: TopicInfo): Promise<void> {
  const dir = topicDir(root, info.name);
  await mkdirDurable(ops, dir, root);
  await writeFileAtomic(ops, join(dir, 'topic.json'), Buffer.from(JSON.stringify(info)));
}

/** Every stored topic. */
export async function loadTopics(root: string): Promise<TopicInfo[]> {
  const out: TopicInfo[] = [];
  for (const name of (await listDir(join(root, 'topics'))).sort()) {
    const info = (await readJsonFile(join(topicDir(root, name), 'topic.json'))) as
      | TopicInfo
      | undefined;
    if (info !== undefined)
      out.push(Object.freeze({ name: info.name, config: Object.freeze(info.config) }));
  }
  return out;
}
