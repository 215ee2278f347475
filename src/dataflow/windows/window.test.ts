import { describe, expect, it } from 'vitest';
import {
  collect,
  consolidateBatch,
  count,
  DataflowGraph,
  hopping,
  type Keyed,
  max,
  session,
  sum,
  tumbling,
  type WindowSpec,
  window,
  windowStarts,
} from '../index.ts';

interface Ev {
  t: number;
  k: string;
  v: number;
}

function build(windows: WindowSpec, opts: { ooo?: number; lateness?: number } = {}) {
  const g = new DataflowGraph();
  const input = g.newInput<Ev>();
  const lateStream = g.newSideStream<Ev>();
  const out = collect(
    input.pipe(
      window({
        windows,
        eventTime: (e) => e.t,
        key: (e) => e.k,
        aggregates: { n: count(), total: sum((e) => e.v), top: max((e) => e.v) },
        outOfOrderness: opts.ooo ?? 0,
        allowedLateness: opts.lateness ?? 0,
        late: lateStream,
      }),
    ),
  );
  const late = collect(lateStream);
  g.finalize();
  const send = (...evs: Ev[]) => {
    input.send(evs.map((e) => [e, 1]));
    g.run();
  };
  return { g, input, out, late, send };
}

const ev = (t: number, v = 1, k = 'a'): Ev => ({ t, k, v });
type Out = Keyed<[string, number], Record<string, unknown>>;
const rows = (b: [Out, number][]) => consolidateBatch(b, true).map(([[, r], d]) => [r, d]);

describe('window assigners', () => {
  it('assigns hopping windows containing t, including negative times', () => {
    expect(windowStarts(hopping(10, 5), 12)).toEqual([5, 10]);
    expect(windowStarts(tumbling(10), -1)).toEqual([-10]);
    expect(() => tumbling(0)).toThrow(/positive/);
  });
});

describe('tumbling windows', () => {
  it('fire when the watermark passes the end, not before', () => {
    const w = build(tumbling(10), { ooo: 2 });
    w.send(ev(1, 3), ev(5, 4), ev(11));
    expect(w.out.drain()).toEqual([]); // watermark 9 < 10
    w.send(ev(12));
    expect(rows(w.out.drain())).toEqual([
      [{ key: 'a', start: 0, end: 10, n: 2, total: 7, top: 4 }, 1],
    ]);
  });

  it('a record within allowed lateness retracts and re-emits; later ones go to the side output', () => {
    const w = build(tumbling(10), { lateness: 5 });
    w.send(ev(1, 3), ev(10));
    expect(rows(w.out.drain())).toEqual([
      [{ key: 'a', start: 0, end: 10, n: 1, total: 3, top: 3 }, 1],
    ]);
    w.send(ev(2, 9));
    expect(rows(w.out.drain())).toEqual([
      [{ key: 'a', start: 0, end: 10, n: 1, total: 3, top: 3 }, -1],
      [{ key: 'a', start: 0, end: 10, n: 2, total: 12, top: 9 }, 1],
    ]);
    w.send(ev(15), ev(3, 100));
    expect(w.late.drain()).toEqual([[ev(3, 100), 1]]);
    expect(w.out.drain()).toEqual([]);
  });

  it('without a side stream, late records become dead letters', () => {
    const g = new DataflowGraph();
    const input = g.newInput<Ev>();
    input.pipe(
      window({ windows: tumbling(10), eventTime: (e) => e.t, aggregates: { n: count() } }),
    );
    g.finalize();
    input.send([
      [ev(20), 1],
      [ev(1), 1],
    ]);
    g.run();
    const dl = g.deadLetters();
    expect(dl.map((d) => [d.row, d.operator, (d.error as { code: string }).code])).toEqual([
      [ev(1), 'window.tumbling#0', 'DATAFLOW_LATE_RECORD'],
    ]);
  });

  it('a bad event time is a dead letter, not a crash', () => {
    const w = build(tumbling(10));
    w.input.send([[{ t: Number.NaN, k: 'a', v: 1 }, 1]]);
    w.g.run();
    expect(w.g.deadLetters()).toHaveLength(1);
  });
});

describe('hopping windows', () => {
  it('count an event in every window containing it', () => {
    const w = build(hopping(10, 5));
    w.send(ev(7), ev(30));
    expect(
      rows(w.out.drain()).map(([r]) => [(r as { start: number }).start, (r as { n: number }).n]),
    ).toEqual([
      [0, 1],
      [5, 1],
    ]);
  });
});

describe('session windows', () => {
  it('merge sessions bridged by an event and retract what they showed', () => {
    const w = build(session(5), { lateness: 100 });
    w.send(ev(0), ev(8), ev(20)); // sessions [0,5) [8,13), watermark 20 fires both
    expect(rows(w.out.drain()).map(([r, d]) => [(r as { start: number }).start, d])).toEqual([
      [0, 1],
      [8, 1],
    ]);
    w.send(ev(4)); // bridges: [0, 13) with 3 events
    expect(rows(w.out.drain())).toEqual([
      [{ key: 'a', start: 0, end: 13, n: 3, total: 3, top: 1 }, 1],
      [{ key: 'a', start: 0, end: 5, n: 1, total: 1, top: 1 }, -1],
      [{ key: 'a', start: 8, end: 13, n: 1, total: 1, top: 1 }, -1],
    ]);
  });

  it('split again when the bridging event is retracted', () => {
    const w = build(session(5), { lateness: 100 });
    w.send(ev(0), ev(4), ev(8), ev(20));
    w.out.drain();
    w.input.send([[ev(4), -1]]);
    w.g.run();
    expect(
      rows(w.out.drain()).map(([r, d]) => [
        (r as { start: number }).start,
        (r as { end: number }).end,
        d,
      ]),
    ).toEqual([
      [0, 13, -1],
      [0, 5, 1],
      [8, 13, 1],
    ]);
  });
});

describe('window snapshots', () => {
  it('restore mid-stream and continue exactly like an uninterrupted run', () => {
    for (const spec of [tumbling(10), hopping(10, 5), session(4)]) {
      const evs = [ev(1), ev(3, 2, 'b'), ev(12, 5), ev(2, 7), ev(25, 1, 'b'), ev(13), ev(40)];
      const a = build(spec, { ooo: 3, lateness: 6 });
      a.send(...evs);
      const b = build(spec, { ooo: 3, lateness: 6 });
      b.send(...evs.slice(0, 3));
      const c = build(spec, { ooo: 3, lateness: 6 });
      c.g.restore(b.g.snapshot());
      c.send(...evs.slice(3));
      const whole = consolidateBatch([...b.out.drain(), ...c.out.drain()], true);
      expect(whole).toEqual(consolidateBatch(a.out.drain(), true));
      expect(Buffer.from(c.g.snapshot()).equals(Buffer.from(a.g.snapshot()))).toBe(true);
    }
  });
});
