import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord, RecordInput } from '../../core/index.ts';
import { decodeFrame, encodeFrame, recordBytes } from './batch-codec.ts';
import { nodeFsOps } from './fs-ops.ts';
import { scanSegment } from './segment-scan.ts';

/*
 * Properties of the frame codec and of the open-time scan that decides torn tail vs corruption.
 * Planted bug, seen failing then removed: scanSegment classified every problem as 'torn'
 * (skipping the "valid frame after it?" check); "a flipped byte before the last frame is
 * corruption" failed with a counterexample of two frames and a flipped byte in the first.
 */
const seed = process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) };
const params = { numRuns: 60, ...seed };

const bytes = fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null });
const headers = fc.option(
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
  {
    nil: undefined,
  },
);
const record: fc.Arbitrary<RecordInput> = fc
  .record({
    key: bytes,
    value: bytes,
    headers,
    timestamp: fc.option(fc.integer({ min: 0, max: 2 ** 42 }), { nil: undefined }),
  })
  .map(({ key, value, headers: h, timestamp }) => ({
    key,
    value,
    ...(h === undefined ? {} : { headers: h }),
    ...(timestamp === undefined ? {} : { timestamp }),
  }));
const batches = fc.array(fc.array(record, { minLength: 1, maxLength: 5 }), {
  minLength: 1,
  maxLength: 6,
});

function encodeAll(bs: RecordInput[][]): { frames: Buffer[]; ends: number[] } {
  const frames: Buffer[] = [];
  const ends: number[] = [];
  let offset = 0;
  let end = 0;
  for (const b of bs) {
    const f = encodeFrame(b, b.map(recordBytes), offset, 1000);
    frames.push(f);
    end += f.length;
    ends.push(end);
    offset += b.length;
  }
  return { frames, ends };
}

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ub-scan-prop-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function scan(buf: Buffer) {
  const file = join(dir, 'seg.log');
  await writeFile(file, buf);
  const fd = openSync(file, 'r');
  try {
    return await scanSegment(nodeFsOps, fd, buf.length, 0, 64);
  } finally {
    closeSync(fd);
  }
}

describe('batch codec and segment scan (properties)', () => {
  it('decode(encode(batch)) returns every field', () => {
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (b, base) => {
          const out: LogRecord[] = [];
          decodeFrame(encodeFrame(b, b.map(recordBytes), base, 777), 0, 't', 3, 0, out);
          expect(out.map((r) => r.offset)).toEqual(b.map((_, i) => base + i));
          for (const [i, r] of out.entries()) {
            const want = b[i]!;
            expect(r.key === null ? null : [...r.key]).toEqual(
              want.key === null ? null : [...want.key],
            );
            expect(r.value === null ? null : [...r.value]).toEqual(
              want.value === null ? null : [...want.value],
            );
            expect(r.headers).toEqual(want.headers ?? {});
            expect(r.timestamp).toBe(want.timestamp ?? 777);
          }
        },
      ),
      params,
    );
  });

  it('a segment cut at any byte is a torn tail ending at the last complete frame', async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.nat(), async (bs, at) => {
        const { frames, ends } = encodeAll(bs);
        const all = Buffer.concat(frames);
        const cut = at % (all.length + 1);
        const s = await scan(all.subarray(0, cut));
        const complete = ends.filter((e) => e <= cut).at(-1) ?? 0;
        expect(s.validBytes).toBe(complete);
        expect(s.problem?.kind).toBe(complete === cut ? undefined : 'torn');
      }),
      params,
    );
  });

  it('a flipped byte before the last frame is corruption; in the last frame, a torn tail', async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.nat(), async (bs, at) => {
        const { frames, ends } = encodeAll(bs);
        const all = Buffer.concat(frames);
        const pos = at % all.length;
        all[pos] = all[pos]! ^ 0x5a;
        const s = await scan(all);
        const frame = ends.findIndex((e) => e > pos);
        const start = frame === 0 ? 0 : ends[frame - 1]!;
        expect(s.validBytes).toBe(start);
        expect(s.problem?.kind).toBe(frame === frames.length - 1 ? 'torn' : 'corrupt');
      }),
      params,
    );
  });
});
