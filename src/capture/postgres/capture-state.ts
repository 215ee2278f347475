import {
  decodeChange,
  encodeChange,
  fromUtf8,
  HEADERS,
  type SchemaChange,
  utf8,
} from '../../core/index.ts';
import type { Log } from '../../log/index.ts';

/** What the capture remembers in its state topic `<prefix>.capture` (one partition). */
export interface CaptureState {
  /** Postgres system identifier of the captured cluster (detects a replaced database). */
  systemId: string | null;
  /** Slot name the capture created (it may drop and recreate it when a snapshot never finished). */
  slotCreated: string | null;
  snapshotDone: boolean;
  /** Latest schema per `schema.table`. */
  readonly schemas: Map<string, SchemaChange>;
}

type MetaRecord =
  | { type: 'system'; systemId: string }
  | { type: 'slot-created'; slot: string }
  | { type: 'snapshot-done'; lsn: string };

/** Reads and appends the capture's own state (small: a few records per schema change). */
export class CaptureStateStore {
  readonly #log: Log;
  readonly #topic: string;

  constructor(log: Log, topic: string) {
    this.#log = log;
    this.#topic = topic;
  }

  async load(): Promise<CaptureState> {
    await this.#log.ensureTopic(this.#topic, { partitions: 1 });
    const state: CaptureState = {
      systemId: null,
      slotCreated: null,
      snapshotDone: false,
      schemas: new Map(),
    };
    const { end } = await this.#log.offsets(this.#topic, 0);
    if (end === 0) return state;
    for await (const batch of this.#log.read(this.#topic, 0, 0, { follow: false })) {
      for (const r of batch) {
        if (r.value === null) continue;
        if (r.headers[HEADERS.contentType] === 'json')
          applyMeta(state, JSON.parse(fromUtf8(r.value)));
        else {
          const ev = decodeChange(r.value);
          if (ev.kind === 'schema') state.schemas.set(`${ev.schema}.${ev.table}`, ev);
        }
      }
      if (batch[batch.length - 1]!.offset >= end - 1) break;
    }
    return state;
  }

  async appendMeta(meta: MetaRecord): Promise<void> {
    await this.#log.append(this.#topic, 0, [
      { key: null, value: utf8(JSON.stringify(meta)), headers: { [HEADERS.contentType]: 'json' } },
    ]);
  }

  async appendSchema(schema: SchemaChange): Promise<void> {
    await this.#log.append(this.#topic, 0, [{ key: null, value: encodeChange(schema) }]);
  }
}

function applyMeta(state: CaptureState, meta: MetaRecord): void {
  if (meta.type === 'system') state.systemId = meta.systemId;
  else if (meta.type === 'slot-created') {
    state.slotCreated = meta.slot;
    state.snapshotDone = false;
  } else if (meta.type === 'snapshot-done') state.snapshotDone = true;
}
