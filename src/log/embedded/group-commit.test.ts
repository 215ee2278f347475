import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';

/** A flush the test completes by hand: records each group it was given. */
function manualFlush() {
  const groups: number[][] = [];
  const finish: ((err?: Error) => void)[] = [];
  const flush = (frames: Buffer[]) => {
    groups.push(frames.map((f) => f[0]!));
    return new Promise<void>((resolve, reject) =>
      finish.push((err) => (err ? reject(err) : resolve())),
    );
  };
  return { flush, groups, finish };
}

const tick = () => new Promise((r) => setImmediate(r));
const frame = (id: number, size = 10) => Buffer.alloc(size, id);

describe('GroupCommit', () => {
  it('gathers frames queued during a flush into the next single flush', async () => {
    const m = manualFlush();
    const gc = new GroupCommit(m.flush, 0, 1 << 20);
    const a = gc.enqueue(frame(1));
    await tick();
    const rest = [gc.enqueue(frame(2)), gc.enqueue(frame(3)), gc.enqueue(frame(4))];
    m.finish[0]!();
    await a;
    await tick();
    expect(m.groups).toEqual([[1], [2, 3, 4]]);
    m.finish[1]!();
    await Promise.all(rest);
  });

  it('a failed flush rejects its frames and everything queued behind them', async () => {
    const m = manualFlush();
    const gc = new GroupCommit(m.flush, 0, 1 << 20);
    const a = gc.enqueue(frame(1));
    await tick();
    const b = gc.enqueue(frame(2));
    m.finish[0]!(new Error('EIO'));
    await expect(a).rejects.toThrow('EIO');
    await expect(b).rejects.toThrow('EIO');
    expect(m.groups).toEqual([[1]]);
  });

  it('blocks producers when the queued bytes reach maxQueuedBytes, until a flush takes them', async () => {
    const m = manualFlush();
    const gc = new GroupCommit(m.flush, 0, 25);
    void gc.enqueue(frame(1));
    await tick();
    void gc.enqueue(frame(2));
    void gc.enqueue(frame(3));
    void gc.enqueue(frame(4)); // 30 bytes queued behind the running flush
    let roomy = false;
    const room = gc.room().then(() => {
      roomy = true;
    });
    await tick();
    expect(roomy).toBe(false);
    m.finish[0]!();
    await room;
    expect(roomy).toBe(true);
  });
});
