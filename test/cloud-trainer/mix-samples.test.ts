import { mixSamples } from '../../cloud-trainer/dataset-fetcher.js';

describe('mixSamples: old and new data in a set proportion', () => {
  const base = Array.from({ length: 240 }, (_, i) => `base-${i}`);
  const labeled = Array.from({ length: 40 }, (_, i) => `new-${i}`);

  it('keeps the plain union when no share is asked for, or there is nothing new', () => {
    expect(mixSamples(base, labeled, 0)).toEqual([...base, ...labeled]);
    expect(mixSamples(base, [], 0.5)).toEqual(base);
  });

  it('repeats the labeled samples whole until they are about the share asked for', () => {
    const half = mixSamples(base, labeled, 0.5);
    expect(half.slice(0, 240)).toEqual(base);
    // 240 base samples and a share of 0.5 want 240 new draws: 6 copies of the 40.
    expect(half.filter((s) => s.startsWith('new-'))).toHaveLength(240);
    for (const id of labeled) expect(half.filter((s) => s === id)).toHaveLength(6);
    // A small share still uses every labeled sample at least once.
    expect(mixSamples(base, labeled, 0.05).filter((s) => s.startsWith('new-'))).toHaveLength(40);
    // Many labeled samples already past the share are not cut.
    const many = Array.from({ length: 400 }, (_, i) => `new-${i}`);
    expect(mixSamples(base, many, 0.5)).toHaveLength(640);
  });
});
