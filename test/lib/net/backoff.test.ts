import { Backoff, exponentialDelay } from '../../../lib/net/backoff.js';

describe('exponentialDelay', () => {
  it('doubles the base per earlier failure up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => exponentialDelay(5, 60, n))).toEqual([5, 10, 20, 40, 60, 60]);
  });

  it('stays finite and capped for huge failure counts', () => {
    expect(exponentialDelay(5, 300_000, 10_000)).toBe(300_000);
    expect(exponentialDelay(1, Number.MAX_SAFE_INTEGER, 10_000)).toBe(2 ** 30);
  });
});

describe('Backoff', () => {
  it('draws each delay from [ceiling/2, ceiling] of a doubling, capped ceiling', () => {
    const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    const high = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
    const lows = Array.from({ length: 6 }, () => low.next());
    const highs = Array.from({ length: 6 }, () => high.next());
    expect(lows).toEqual([50, 100, 200, 400, 500, 500]);
    expect(highs).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('counts attempts and starts over after reset', () => {
    const backoff = new Backoff({ baseMs: 10, maxMs: 1000, random: () => 1 });
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    expect(backoff.next()).toBe(40);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(10);
  });

  it('spreads delays with the default random source', () => {
    const delays = new Set(
      Array.from({ length: 50 }, () => new Backoff({ baseMs: 1000, maxMs: 1000 }).next()),
    );
    expect(delays.size).toBeGreaterThan(1);
    for (const d of delays) expect(d >= 500 && d <= 1000).toBe(true);
  });
});
