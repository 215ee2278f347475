import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type ChangeEvent, decodeChange, HEADERS } from '../../core/index.ts';
import { type Log, openEmbeddedLog } from '../../log/index.ts';

/** A decoded log record for assertions. */
export interface CapturedRecord {
  readonly offset: number;
  readonly event: ChangeEvent;
  readonly commit: boolean;
  readonly key: Uint8Array | null;
}

/** Every record of a topic partition, decoded (empty when the topic does not exist). */
export async function readTopic(log: Log, topic: string, partition = 0): Promise<CapturedRecord[]> {
  const topics = await log.listTopics();
  if (!topics.some((t) => t.name === topic)) return [];
  const { end } = await log.offsets(topic, partition);
  const out: CapturedRecord[] = [];
  if (end === 0) return out;
  for await (const batch of log.read(topic, partition, 0, { follow: false })) {
    for (const r of batch) {
      out.push({
        offset: r.offset,
        event: decodeChange(r.value!),
        commit: r.headers[HEADERS.txMarker] === 'commit',
        key: r.key,
      });
    }
    if (out.length > 0 && out[out.length - 1]!.offset >= end - 1) break;
  }
  return out;
}

/** A fresh embedded log in a temp dir. */
export async function tempLog(): Promise<{ log: Log; dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ub-cdc-'));
  const log = await openEmbeddedLog({ dir, maintenanceIntervalMs: 0 });
  return {
    log,
    dir,
    async cleanup() {
      await log.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Run SQL on a short-lived connection. */
export async function sql(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<pg.QueryResult> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await c.query(text, params);
  } finally {
    await c.end();
  }
}

/** Poll until `check` returns true (or throw after `timeoutMs`). */
export async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
