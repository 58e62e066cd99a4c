import { ClassFactory, ClassType, IBTFilter } from '../../../lib/algorithm-api/index.js';

describe('IBTFilter', () => {
  const boxes = (...scores: number[]) => scores.map((score) => ({ score }));

  it('is registered as the HEM alias IBT', () => {
    expect(ClassFactory.get(ClassType.HEM, 'IBT')).toBe(IBTFilter);
  });

  it('calls an image hard when at least 1 - thresholdImg of its boxes are uncertain', () => {
    const filter = new IBTFilter({ thresholdImg: 0.5, thresholdBox: 0.6 });
    expect(filter.isHard(boxes(0.55, 0.9))).toBe(true); // 1/2 uncertain >= 0.5
    expect(filter.isHard(boxes(0.55, 0.9, 0.95))).toBe(false); // 1/3 < 0.5
    expect(filter.isHard(boxes(0.6))).toBe(true); // <= thresholdBox counts as uncertain
  });

  it('is not hard with no boxes or with a score outside [0, 1]', () => {
    const filter = new IBTFilter({ thresholdImg: 1, thresholdBox: 1 });
    expect(filter.isHard([])).toBe(false);
    expect(filter.isHard(boxes(0.2, 1.2))).toBe(false);
    expect(filter.isHard(boxes(-0.1))).toBe(false);
    expect(filter.isHard(boxes(Number.NaN))).toBe(false);
  });
});
