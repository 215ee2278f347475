import { type TextValue, UNCHANGED_TOAST, UnbundledError } from '../../core/index.ts';
import type { PgOutputMessage, RelationColumn } from './pgoutput-messages.ts';

/** Microseconds between the Unix epoch and the Postgres epoch (2000-01-01). */
const PG_EPOCH_MS = 946_684_800_000;

/** Postgres timestamp (µs since 2000-01-01) → epoch milliseconds. */
export function pgTimeToMs(us: bigint): number {
  return Number(us / 1000n) + PG_EPOCH_MS;
}

/** Epoch milliseconds → Postgres timestamp µs (for standby status updates). */
export function msToPgTime(ms: number): bigint {
  return BigInt(ms - PG_EPOCH_MS) * 1000n;
}

/** Decode one pgoutput message (the payload of an XLogData frame). */
export function decodePgOutput(buf: Buffer): PgOutputMessage {
  return new Cursor(buf).message();
}

class Cursor {
  readonly #buf: Buffer;
  #pos = 0;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  message(): PgOutputMessage {
    const tag = String.fromCharCode(this.u8());
    switch (tag) {
      case 'B':
        return { tag: 'begin', finalLsn: this.u64(), ts: pgTimeToMs(this.i64()), xid: this.u32() };
      case 'C':
        this.u8();
        return {
          tag: 'commit',
          commitLsn: this.u64(),
          endLsn: this.u64(),
          ts: pgTimeToMs(this.i64()),
        };
      case 'R':
        return this.relation();
      case 'Y':
        return { tag: 'type', typeOid: this.u32(), schema: this.cstr(), name: this.cstr() };
      case 'I':
        return this.insert();
      case 'U':
        return this.update();
      case 'D':
        return this.delete();
      case 'T':
        return this.truncate();
      case 'M':
        return this.logicalMessage();
      case 'O':
        return { tag: 'origin', lsn: this.u64(), name: this.cstr() };
      default:
        throw new UnbundledError(
          'CAPTURE_PROTOCOL',
          `unexpected pgoutput message '${tag}'; is the slot using plugin pgoutput with proto_version 1?`,
        );
    }
  }

  relation(): PgOutputMessage {
    const relationId = this.u32();
    const schema = this.cstr();
    const table = this.cstr();
    const replicaIdentity = String.fromCharCode(this.u8());
    const n = this.u16();
    const columns: RelationColumn[] = [];
    for (let i = 0; i < n; i++) {
      const isKey = (this.u8() & 1) === 1;
      columns.push({ isKey, name: this.cstr(), typeOid: this.u32(), typmod: this.i32() });
    }
    return { tag: 'relation', relationId, schema, table, replicaIdentity, columns };
  }

  insert(): PgOutputMessage {
    const relationId = this.u32();
    this.u8(); // 'N'
    return { tag: 'insert', relationId, after: this.tuple() };
  }

  update(): PgOutputMessage {
    const relationId = this.u32();
    let kind = String.fromCharCode(this.u8());
    let before: TextValue[] | null = null;
    let beforeKind: 'K' | 'O' | null = null;
    if (kind === 'K' || kind === 'O') {
      beforeKind = kind;
      before = this.tuple();
      kind = String.fromCharCode(this.u8());
    }
    return { tag: 'update', relationId, beforeKind, before, after: this.tuple() };
  }

  delete(): PgOutputMessage {
    const relationId = this.u32();
    const beforeKind = String.fromCharCode(this.u8()) === 'O' ? 'O' : 'K';
    return { tag: 'delete', relationId, beforeKind, before: this.tuple() };
  }

  truncate(): PgOutputMessage {
    const n = this.u32();
    const flags = this.u8();
    const relationIds: number[] = [];
    for (let i = 0; i < n; i++) relationIds.push(this.u32());
    return {
      tag: 'truncate',
      relationIds,
      cascade: (flags & 1) === 1,
      restartIdentity: (flags & 2) === 2,
    };
  }

  logicalMessage(): PgOutputMessage {
    const transactional = (this.u8() & 1) === 1;
    const lsn = this.u64();
    const prefix = this.cstr();
    const len = this.u32();
    const content = this.#buf.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    return { tag: 'message', transactional, lsn, prefix, content };
  }

  tuple(): TextValue[] {
    const n = this.u16();
    const out: TextValue[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const kind = this.u8();
      if (kind === 0x6e)
        out[i] = null; // 'n'
      else if (kind === 0x75)
        out[i] = UNCHANGED_TOAST; // 'u'
      else {
        const len = this.u32();
        out[i] = this.#buf.toString('utf8', this.#pos, this.#pos + len);
        this.#pos += len;
      }
    }
    return out;
  }

  u8(): number {
    return this.#buf[this.#pos++]!;
  }
  u16(): number {
    const v = this.#buf.readUInt16BE(this.#pos);
    this.#pos += 2;
    return v;
  }
  u32(): number {
    const v = this.#buf.readUInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  i32(): number {
    const v = this.#buf.readInt32BE(this.#pos);
    this.#pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.#buf.readBigUInt64BE(this.#pos);
    this.#pos += 8;
    return v;
  }
  i64(): bigint {
    const v = this.#buf.readBigInt64BE(this.#pos);
    this.#pos += 8;
    return v;
  }
  cstr(): string {
    const end = this.#buf.indexOf(0, this.#pos);
    const s = this.#buf.toString('utf8', this.#pos, end);
    this.#pos = end + 1;
    return s;
  }
}
