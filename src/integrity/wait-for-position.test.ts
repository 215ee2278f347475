import { describe, expect, it } from 'vitest';
import { waitForPosition } from './wait-for-position.ts';

describe('waitForPosition', () => {
  it('resolves once the position covers the wanted one', async () => {
    let pos = { 'a/0': 1 };
    setTimeout(() => {
      pos = { 'a/0': 5 };
    }, 30);
    expect(await waitForPosition(() => pos, { 'a/0': 5 })).toEqual({ 'a/0': 5 });
  });

  it('times out with 504 and the current position', async () => {
    await expect(
      waitForPosition(() => ({}), { 'a/0': 1 }, { timeoutMs: 20 }),
    ).rejects.toMatchObject({
      code: 'POSITION_WAIT_TIMEOUT',
      details: { status: 504, position: {} },
    });
  });
});
