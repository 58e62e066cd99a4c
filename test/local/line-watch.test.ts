import { LineWatch } from '../../local/line-watch.js';

describe('LineWatch', () => {
  const serving = { serving: true, labeled: 3, round: 1, labelPasses: 0 };

  it('calls the line dry after `passes` full passes and the quiet time without a new label', () => {
    const watch = new LineWatch(10, 3, 1000, 0);
    expect(watch.observe({ ...serving, sent: 100, now: 0 })).toBe(false);
    expect(watch.observe({ ...serving, sent: 129, now: 5000 })).toBe(false);
    expect(watch.observe({ ...serving, sent: 130, now: 999 })).toBe(false);
    expect(watch.observe({ ...serving, sent: 130, now: 1000 })).toBe(true);
  });

  it('starts counting again on any progress: a new label, a new round', () => {
    const watch = new LineWatch(10, 3, 0, 0);
    watch.observe({ ...serving, sent: 0, now: 0 });
    expect(watch.observe({ ...serving, labeled: 4, sent: 29, now: 0 })).toBe(false);
    expect(watch.observe({ ...serving, labeled: 4, sent: 58, now: 0 })).toBe(false);
    expect(watch.observe({ ...serving, labeled: 4, round: 2, sent: 59, now: 0 })).toBe(false);
    expect(watch.observe({ ...serving, labeled: 4, round: 2, sent: 88, now: 0 })).toBe(false);
    expect(watch.observe({ ...serving, labeled: 4, round: 2, sent: 89, now: 0 })).toBe(true);
  });

  it('never calls it dry while the job trains or deploys, or when the cameras have no images', () => {
    const training = new LineWatch(10, 3, 0, 0);
    training.observe({ ...serving, serving: false, sent: 0, now: 0 });
    expect(training.observe({ ...serving, serving: false, sent: 1000, now: 0 })).toBe(false);
    expect(training.observe({ ...serving, sent: 1000, now: 0 })).toBe(false);
    const empty = new LineWatch(0, 3, 0, 0);
    empty.observe({ ...serving, sent: 0, now: 0 });
    expect(empty.observe({ ...serving, sent: 0, now: 0 })).toBe(false);
  });

  it('waits for the labeler to finish its passes over what came in: a slow labeler is not a dry line', () => {
    const watch = new LineWatch(10, 3, 1000, 2);
    watch.observe({ ...serving, labelPasses: 5, sent: 0, now: 0 });
    // Passes and quiet time are over, but the labeler is still in its first pass since.
    expect(watch.observe({ ...serving, labelPasses: 5, sent: 500, now: 60_000 })).toBe(false);
    expect(watch.observe({ ...serving, labelPasses: 6, sent: 510, now: 62_000 })).toBe(false);
    expect(watch.observe({ ...serving, labelPasses: 7, sent: 520, now: 64_000 })).toBe(true);
  });
});
