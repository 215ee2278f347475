import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import type { Position } from '../../core/position.ts';
import { netBatch } from '../batch.ts';
import { decodeJson, encodeJson } from '../json-codec.ts';
import { checkPosition, validatePosition } from '../position-check.ts';
import { storeError } from '../store-error.ts';
import type {
  ApplyResult,
  ScanOptions,
  ScanPage,
  VersionedView,
  ViewStore,
  ViewWrite,
} from '../types.ts';
import { hash8 } from '../version-name.ts';
import { checkLimit, dropLive, dropped, missingVersion, notOpen } from '../view-errors.ts';
import {
  APPLY_LUA,
  DROP_LUA,
  GET_LUA,
  OPEN_LUA,
  POSITION_READ_LUA,
  PROMOTE_LUA,
  SCAN_LUA,
} from './redis-scripts.ts';

/** The node-redis client surface the Redis view uses (a `createClient()` result fits). */
export interface RedisScriptClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad(script: string): Promise<unknown>;
  zRange(key: string, min: string, max: string): Promise<string[]>;
  unlink(keys: string[]): Promise<unknown>;
  hGet(key: string, field: string): Promise<string | null>;
  hKeys(key: string): Promise<string[]>;
  close(): Promise<void>;
}

/** Options of `createRedisView`: a connected `client` you own, or a `url`. */
export interface RedisViewOptions {
  readonly client?: RedisScriptClient;
  readonly url?: string;
  /** Expire each row this many seconds after its last write (makes the view a cache). */
  readonly ttlSeconds?: number;
}

/**
 * A view in Redis: rows as bigint-safe JSON strings, a sorted set of keys for ordered scans, and the
 * position, all written by one Lua script per batch that first checks the batch is ahead of the
 * committed position (so a replay is a no-op). The live alias is a hash naming the live version's
 * key prefix; `promote` switches it in one script, and reads resolve it inside their script.
 * Durability is Redis's own (AOF `appendfsync always` for every acknowledged batch to survive a
 * Redis crash; otherwise a restart may go back to an older position — still consistent, since
 * position and rows persist together — and the runtime replays from it).
 *
 * @example
 * const cache = createRedisView<Order>('order_by_id', { url: process.env.REDIS_URL });
 */
export function createRedisView<Row>(name: string, options: RedisViewOptions): VersionedView<Row> {
  return new RedisView<Row>(name, options);
}

/** @internal Client plus script runner shared by a view and its version handles. */
class Scripts {
  readonly #client: Promise<RedisScriptClient>;
  readonly #shas = new Map<string, string>();
  readonly owned: boolean;
  readonly view: string;

  constructor(view: string, options: RedisViewOptions) {
    this.view = view;
    this.owned = options.client === undefined;
    this.#client = options.client
      ? Promise.resolve(options.client)
      : (createClient(options.url === undefined ? {} : { url: options.url })
          .on('error', () => undefined)
          .connect() as Promise<unknown> as Promise<RedisScriptClient>);
  }

  client(): Promise<RedisScriptClient> {
    return this.#client;
  }

  async run(script: string, keys: string[], args: string[]): Promise<unknown> {
    const client = await this.#client;
    try {
      let sha = this.#shas.get(script);
      if (sha === undefined) {
        sha = createHash('sha1').update(script).digest('hex');
        this.#shas.set(script, sha);
      }
      try {
        return await client.evalSha(sha, { keys, arguments: args });
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
        return await client.eval(script, { keys, arguments: args });
      }
    } catch (err) {
      throw storeError(`view "${this.view}": redis script`, err);
    }
  }
}

class RedisView<Row> implements VersionedView<Row> {
  readonly name: string;
  readonly #scripts: Scripts;
  readonly #ttl: number;
  readonly #base: string;

  constructor(name: string, options: RedisViewOptions) {
    this.name = name;
    this.#scripts = new Scripts(name, options);
    this.#ttl = options.ttlSeconds ?? 0;
    this.#base = `ub:{${name}}:`;
  }

  version(version: string): ViewStore<Row> {
    const keys = { live: this.#live(), versions: this.#versions() };
    return new RedisViewStore<Row>(this.#scripts, this.name, version, this.#base, keys, this.#ttl);
  }

  async liveVersion(): Promise<string | null> {
    const client = await this.#scripts.client();
    return (await client.hGet(this.#live(), 'version')) ?? null;
  }

  async promote(version: string): Promise<void> {
    const ok = await this.#scripts.run(PROMOTE_LUA, [this.#live(), this.#versions()], [version]);
    if (ok !== 1) throw missingVersion(this.name, version);
  }

  async drop(version: string): Promise<void> {
    const prefix = await this.#scripts.run(DROP_LUA, [this.#live(), this.#versions()], [version]);
    if (prefix === -1) throw dropLive(this.name, version);
    if (typeof prefix !== 'string') return;
    const client = await this.#scripts.client();
    for (let i = 0; ; i += 1000) {
      const keys = await client.zRange(`${prefix}keys`, String(i), String(i + 999));
      if (keys.length === 0) break;
      await client.unlink(keys.map((k) => `${prefix}d:${k}`));
    }
    await client.unlink([`${prefix}keys`]);
  }

  async versions(): Promise<readonly string[]> {
    const client = await this.#scripts.client();
    return (await client.hKeys(this.#versions())).sort();
  }

  async get(key: string): Promise<Row | undefined> {
    return readGet<Row>(this.#scripts, this.#live(), '', key);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    checkLimit(this.name, opts.limit);
    return readScan<Row>(this.#scripts, this.#live(), '', opts);
  }

  async position(): Promise<Position | null> {
    return readPosition(this.#scripts, this.#live(), '');
  }

  async close(): Promise<void> {
    if (this.#scripts.owned) await (await this.#scripts.client()).close();
  }

  #live(): string {
    return `${this.#base}live`;
  }

  #versions(): string {
    return `${this.#base}versions`;
  }
}

class RedisViewStore<Row> implements ViewStore<Row> {
  readonly name: string;
  readonly version: string;
  readonly #scripts: Scripts;
  readonly #prefix: string;
  readonly #keys: { live: string; versions: string };
  readonly #ttl: number;
  #open = false;

  constructor(
    scripts: Scripts,
    name: string,
    version: string,
    base: string,
    keys: { live: string; versions: string },
    ttl: number,
  ) {
    this.#scripts = scripts;
    this.name = name;
    this.version = version;
    this.#prefix = `${base}${hash8(version)}:`;
    this.#keys = keys;
    this.#ttl = ttl;
  }

  async open(): Promise<{ position: Position | null }> {
    const pos = await this.#scripts.run(
      OPEN_LUA,
      [this.#keys.versions, `${this.#prefix}pos`],
      [this.version, this.#prefix],
    );
    this.#open = true;
    return { position: JSON.parse(pos as string) as Position | null };
  }

  async apply(writes: readonly ViewWrite<Row>[], position: Position): Promise<ApplyResult> {
    this.#check();
    validatePosition(this.name, position);
    const { upserts, deletes } = netBatch(this.name, writes);
    const args = [
      `${this.#prefix}d:`,
      JSON.stringify(position),
      String(this.#ttl),
      String(upserts.length),
    ];
    for (const [key, row] of upserts) args.push(key, encodeJson(row));
    for (const key of deletes) args.push(key);
    const keys = [`${this.#prefix}pos`, `${this.#prefix}keys`];
    const [status, pos] = (await this.#scripts.run(APPLY_LUA, keys, args)) as [number, string];
    if (status === -2) throw dropped(this.name, this.version);
    const committed = JSON.parse(pos) as Position;
    if (status === -1) checkPosition(this.name, committed, position);
    if (status !== 1) return { applied: false, reason: 'stale', position: committed };
    return { applied: true, position: committed };
  }

  async get(key: string): Promise<Row | undefined> {
    this.#check();
    return readGet<Row>(this.#scripts, this.#keys.live, this.#prefix, key);
  }

  async scan(opts: ScanOptions): Promise<ScanPage<Row>> {
    this.#check();
    checkLimit(this.name, opts.limit);
    return readScan<Row>(this.#scripts, this.#keys.live, this.#prefix, opts);
  }

  async position(): Promise<Position | null> {
    this.#check();
    return readPosition(this.#scripts, this.#keys.live, this.#prefix);
  }

  async close(): Promise<void> {
    this.#open = false;
  }

  #check(): void {
    if (!this.#open) throw notOpen(this.name, this.version);
  }
}

async function readGet<Row>(s: Scripts, live: string, prefix: string, key: string) {
  const json = (await s.run(GET_LUA, [live], [prefix, key])) as string | null;
  return json === null ? undefined : decodeJson<Row>(json);
}

async function readPosition(s: Scripts, live: string, prefix: string): Promise<Position | null> {
  const json = (await s.run(POSITION_READ_LUA, [live], [prefix])) as string | null;
  return json === null ? null : (JSON.parse(json) as Position | null);
}

async function readScan<Row>(
  s: Scripts,
  live: string,
  prefix: string,
  opts: ScanOptions,
): Promise<ScanPage<Row>> {
  const args = [prefix, opts.cursor ?? '', String(opts.limit)];
  const out = (await s.run(SCAN_LUA, [live], args)) as (string | number | null)[] | null;
  if (out === null) return { rows: [] };
  const rows: { key: string; row: Row }[] = [];
  let lastKey: string | undefined;
  for (let i = 1; i < out.length; i += 2) {
    lastKey = out[i] as string;
    const json = out[i + 1];
    if (typeof json === 'string') rows.push({ key: lastKey, row: decodeJson<Row>(json) });
  }
  return out[0] === 1 && lastKey !== undefined ? { rows, cursor: lastKey } : { rows };
}
