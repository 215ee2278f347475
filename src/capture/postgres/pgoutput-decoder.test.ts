import { describe, expect, it } from 'vitest';
import { UNCHANGED_TOAST } from '../../core/index.ts';
import { parseCopyLine } from './copy-text.ts';
import { decodePgOutput, msToPgTime, pgTimeToMs } from './pgoutput-decoder.ts';

/** Build a pgoutput message from parts. */
function msg(...parts: (string | number[] | Buffer)[]): Buffer {
  return Buffer.concat(
    parts.map((p) =>
      typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.isBuffer(p) ? p : Buffer.from(p),
    ),
  );
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
const cstr = (s: string) => msg(s, [0]);

describe('pgoutput decoder', () => {
  it('decodes begin/commit with LSNs and times', () => {
    const ts = msToPgTime(1_700_000_000_123);
    expect(decodePgOutput(msg('B', u64(0x16b3748n), u64(ts), u32(727)))).toEqual({
      tag: 'begin',
      finalLsn: 0x16b3748n,
      ts: 1_700_000_000_123,
      xid: 727,
    });
    const c = decodePgOutput(msg('C', [0], u64(10n), u64(11n), u64(ts)));
    expect(c).toEqual({ tag: 'commit', commitLsn: 10n, endLsn: 11n, ts: 1_700_000_000_123 });
    expect(pgTimeToMs(0n)).toBe(946_684_800_000);
  });

  it('decodes relation and tuples with null, unchanged TOAST and UTF-8 text', () => {
    const rel = decodePgOutput(
      msg(
        'R',
        u32(16385),
        cstr('public'),
        cstr('t'),
        'd',
        u16(2),
        [1],
        cstr('id'),
        u32(23),
        u32(0xffffffff),
        [0],
        cstr('v'),
        u32(25),
        u32(0xffffffff),
      ),
    );
    expect(rel).toMatchObject({
      tag: 'relation',
      relationId: 16385,
      table: 't',
      replicaIdentity: 'd',
    });
    expect((rel as unknown as { columns: unknown[] }).columns).toEqual([
      { isKey: true, name: 'id', typeOid: 23, typmod: -1 },
      { isKey: false, name: 'v', typeOid: 25, typmod: -1 },
    ]);
    const text = Buffer.from('ünï 🐘');
    const up = decodePgOutput(
      msg(
        'U',
        u32(16385),
        'K',
        u16(2),
        't',
        u32(1),
        '1',
        'n',
        'N',
        u16(3),
        't',
        u32(text.length),
        text,
        'u',
        'n',
      ),
    );
    expect(up).toEqual({
      tag: 'update',
      relationId: 16385,
      beforeKind: 'K',
      before: ['1', null],
      after: ['ünï 🐘', UNCHANGED_TOAST, null],
    });
  });

  it('decodes truncate and logical messages; rejects unknown tags', () => {
    expect(decodePgOutput(msg('T', u32(2), [3], u32(1), u32(2)))).toEqual({
      tag: 'truncate',
      relationIds: [1, 2],
      cascade: true,
      restartIdentity: true,
    });
    const m = decodePgOutput(msg('M', [1], u64(5n), cstr('unbundled.outbox'), u32(2), '{}'));
    expect(m).toMatchObject({
      tag: 'message',
      transactional: true,
      lsn: 5n,
      prefix: 'unbundled.outbox',
    });
    expect(() => decodePgOutput(msg('S', u32(1)))).toThrow(/unexpected pgoutput message 'S'/);
  });
});

describe('COPY text lines', () => {
  it('splits tabs, reads \\N as NULL and decodes escapes', () => {
    expect(parseCopyLine('1\t\\N\ta\\tb\\nc\\\\d\t\\101\\x42')).toEqual([
      '1',
      null,
      'a\tb\nc\\d',
      'AB',
    ]);
    expect(parseCopyLine('\\303\\274')).toEqual(['ü']);
  });
});
