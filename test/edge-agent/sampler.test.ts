import type { Detection } from '../../lib/algorithm-api/index.js';
import { Sampler } from '../../edge-agent/sampler.js';

const det = (score: number): Detection => ({
  class: 'car',
  score,
  box: { xmin: 0, ymin: 0, xmax: 1, ymax: 1 },
});
const base = { thresholdImg: 0.5, thresholdBox: 0.5, maxPerMinute: 0 };

describe('Sampler', () => {
  it('ibt keeps images whose boxes are mostly uncertain, through the registered IBT filter', () => {
    const s = new Sampler({ ...base, strategy: 'ibt' });
    expect(s.decide([det(0.3), det(0.4)])).toEqual({ keep: true, reason: 'hard' });
    expect(s.decide([det(0.9), det(0.95)])).toEqual({ keep: false, reason: 'easy' });
    expect(s.decide([])).toEqual({ keep: false, reason: 'easy' });
    s.update({ ...base, strategy: 'ibt', thresholdBox: 0.95 });
    expect(s.decide([det(0.9), det(0.95)]).keep).toBe(true);
  });

  it('all, none and random', () => {
    expect(new Sampler({ ...base, strategy: 'all' }).decide([]).keep).toBe(true);
    expect(new Sampler({ ...base, strategy: 'none' }).decide([det(0.1)]).keep).toBe(false);
    const draws = [0.05, 0.5];
    const random = new Sampler({ ...base, strategy: 'random', randomRate: 0.2 }, Date.now, () =>
      draws.shift()!,
    );
    expect(random.decide([])).toEqual({ keep: true, reason: 'random' });
    expect(random.decide([])).toEqual({ keep: false, reason: 'not-drawn' });
  });

  it('maxPerMinute is a sliding one-minute budget; 0 means no limit', () => {
    let now = 0;
    const s = new Sampler({ ...base, strategy: 'all', maxPerMinute: 2 }, () => now);
    expect([s.decide([]).keep, s.decide([]).keep, s.decide([]).keep]).toEqual([true, true, false]);
    expect(s.decide([])).toEqual({ keep: false, reason: 'budget' });
    now = 60_001;
    expect(s.decide([]).keep).toBe(true);
    const unlimited = new Sampler({ ...base, strategy: 'all', maxPerMinute: 0 }, () => 0);
    for (let i = 0; i < 500; i++) expect(unlimited.decide([]).keep).toBe(true);
  });
});
