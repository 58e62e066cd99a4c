import type { DesiredJob } from '../../lib/protocol/index.js';
import { DropConfirmation } from '../../edge-agent/drop-confirmation.js';

const desired = (name: string, drop: boolean): DesiredJob => ({
  job: { namespace: 'ns', name },
  model: null,
  sampling: { strategy: 'none', thresholdImg: 0, thresholdBox: 0, maxPerMinute: 0 },
  storage: { bucket: '' },
  drop,
});

describe('DropConfirmation', () => {
  let now = 0;
  const serving = new Set(['ns/a', 'ns/b']);
  const drops = new DropConfirmation(5000, () => now);
  const kept = (jobs: DesiredJob[]): string[] =>
    drops.filter(jobs, (id) => serving.has(id)).map((d) => `${d.job.name}${d.drop ? ':drop' : ''}`);

  it('holds back a drop of a serving job until it is repeated at least the interval later', () => {
    now = 1000;
    expect(kept([desired('a', true), desired('b', false)])).toEqual(['b']);
    now = 5999;
    expect(kept([desired('a', true), desired('b', false)])).toEqual(['b']);
    now = 6000;
    expect(kept([desired('a', true), desired('b', false)])).toEqual(['a:drop', 'b']);
  });

  it('forgets a drop the next reply does not repeat', () => {
    now = 10_000;
    expect(kept([desired('b', true)])).toEqual([]);
    now = 12_000;
    expect(kept([desired('b', false)])).toEqual(['b']);
    now = 20_000;
    expect(kept([desired('b', true)])).toEqual([]); // a first sighting again
    now = 25_000;
    expect(kept([desired('b', true)])).toEqual(['b:drop']);
  });

  it('drops a job without a serving model at once', () => {
    expect(kept([desired('c', true)])).toEqual(['c:drop']);
  });
});
