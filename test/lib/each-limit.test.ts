import { eachLimit, mapLimit } from '../../lib/each-limit.js';
import { sleep } from '../../lib/sleep.js';

describe('mapLimit', () => {
  it('keeps item order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([30, 5, 20, 1, 10, 2], 2, async (ms, i) => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(ms);
      running -= 1;
      return `${i}:${ms}`;
    });
    expect(out).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10', '5:2']);
    expect(peak).toBe(2);
  });

  it('rejects with the first failure and starts no item after it', async () => {
    const started: number[] = [];
    const failure = new Error('item 1 failed');
    await expect(
      eachLimit([0, 1, 2, 3, 4, 5], 2, async (i) => {
        started.push(i);
        await sleep(5);
        if (i === 1) throw failure;
      }),
    ).rejects.toBe(failure);
    await sleep(50);
    // Items 0 and 1 run together; 2 starts when 0 ends, then 1 fails and nothing more starts.
    expect(started).toEqual([0, 1, 2]);
  });

  it('handles no items', async () => {
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});
