import {
  allPointAp,
  boxIou,
  detectionStats,
  f1AtIou,
  vocMap50,
  type GroundTruthBox,
  type PredictedBox,
} from '../../../lib/metrics/index.js';

const B = (xmin: number, ymin: number, xmax: number, ymax: number) => ({ xmin, ymin, xmax, ymax });
const gt = (image: string, cls: string, box: ReturnType<typeof B>, difficult = false): GroundTruthBox => ({
  image,
  class: cls,
  box,
  ...(difficult ? { difficult } : {}),
});
const pred = (image: string, cls: string, score: number, box: ReturnType<typeof B>): PredictedBox => ({
  image,
  class: cls,
  score,
  box,
});

describe('boxIou', () => {
  it('uses continuous areas (no +1 pixel)', () => {
    expect(boxIou(B(0, 0, 10, 10), B(5, 0, 15, 10))).toBeCloseTo(1 / 3, 12);
    // With the +1 convention this pair would be 6 / 12 = 0.5.
    expect(boxIou(B(0, 0, 2, 2), B(1, 0, 3, 2))).toBeCloseTo(1 / 3, 12);
    expect(boxIou(B(0, 0, 10, 10), B(10, 0, 20, 10))).toBe(0);
    expect(boxIou(B(0, 0, 10, 10), B(50, 50, 60, 60))).toBe(0);
  });
});

describe('VOC mAP@0.5 and F1@IoU', () => {
  // Two images, one GT each. p1 hits img1 (0.9), p2 misses (0.8), p3 hits img2 (0.7).
  // Cumulative: recall [0.5, 0.5, 1], precision [1, 0.5, 2/3].
  const gts = [gt('img1', 'a', B(0, 0, 10, 10)), gt('img2', 'a', B(0, 0, 10, 10))];
  const preds = [
    pred('img1', 'a', 0.8, B(50, 50, 60, 60)),
    pred('img1', 'a', 0.9, B(0, 0, 10, 10)),
    pred('img2', 'a', 0.7, B(0, 0, 10, 10)),
  ];

  it('computes all-point AP (VOC2010+): 0.5 * 1 + 0.5 * 2/3 = 0.8333 (11-point would be 0.8485)', () => {
    expect(allPointAp([0.5, 0.5, 1], [1, 0.5, 2 / 3])).toBeCloseTo(0.5 + 1 / 3, 12);
    expect(vocMap50(gts, preds)).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('F1@0.5 from totals: TP 2, FP 1, GT 2 -> P 2/3, R 1, F1 0.8', () => {
    expect(f1AtIou(gts, preds, 0.5)).toBeCloseTo(0.8, 12);
    expect(detectionStats(gts, preds, 0.5)[0]).toMatchObject({
      class: 'a',
      truePositives: 2,
      falsePositives: 1,
      groundTruth: 2,
    });
  });

  it('matches at IoU >= threshold (IoU exactly 0.5 is a hit)', () => {
    const g = [gt('i', 'a', B(0, 0, 10, 10))];
    const half = [pred('i', 'a', 0.9, B(0, 0, 10, 5))];
    expect(f1AtIou(g, half, 0.5)).toBe(1);
    expect(f1AtIou(g, half, 0.51)).toBe(0);
  });

  it('uses continuous IoU: a pair that is 0.5 only under +1 does not match at 0.5', () => {
    expect(f1AtIou([gt('i', 'a', B(0, 0, 2, 2))], [pred('i', 'a', 0.9, B(1, 0, 3, 2))], 0.5)).toBe(0);
  });

  it('counts a second hit on a matched box as a false positive', () => {
    const g = [gt('i', 'a', B(0, 0, 10, 10))];
    const twice = [pred('i', 'a', 0.9, B(0, 0, 10, 10)), pred('i', 'a', 0.8, B(0, 0, 10, 9))];
    // TP 1, FP 1: P 0.5, R 1, F1 2/3; AP: recall [1, 1], precision [1, 0.5] -> 1.
    expect(f1AtIou(g, twice, 0.5)).toBeCloseTo(2 / 3, 12);
    expect(vocMap50(g, twice)).toBe(1);
  });

  it('ignores difficult ground truth: not a positive, and a hit on it is neither TP nor FP', () => {
    const g = [gt('i', 'a', B(0, 0, 10, 10)), gt('i', 'a', B(50, 50, 60, 60), true)];
    const p = [pred('i', 'a', 0.9, B(0, 0, 10, 10)), pred('i', 'a', 0.8, B(50, 50, 60, 60))];
    expect(detectionStats(g, p, 0.5)[0]).toMatchObject({
      groundTruth: 1,
      truePositives: 1,
      falsePositives: 0,
      f1: 1,
      ap: 1,
    });
  });

  it('macro-averages F1 over classes with GT or predictions; mAP over classes with GT', () => {
    const g = [gt('i', 'a', B(0, 0, 10, 10))];
    const p = [pred('i', 'a', 0.9, B(0, 0, 10, 10)), pred('i', 'b', 0.9, B(50, 50, 60, 60))];
    expect(f1AtIou(g, p, 0.5)).toBe(0.5); // a: 1, b (only a false positive): 0
    expect(vocMap50(g, p)).toBe(1); // b has no GT: no AP
    expect(f1AtIou(g, p, 0.5, { classes: ['a'] })).toBe(1);
  });

  it('is 0 with nothing to evaluate, and 0 with no predictions', () => {
    expect(f1AtIou([], [], 0.5)).toBe(0);
    expect(vocMap50([], [])).toBe(0);
    expect(f1AtIou(gts, [], 0.5)).toBe(0);
    expect(vocMap50(gts, [])).toBe(0);
  });
});
