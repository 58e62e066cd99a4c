/**
 * Hand-computed cases for the Ianvs PCB-AoI f1_score. Each quirk test is built so that the figure
 * changes if the quirk is removed; the comment on each states both numbers.
 * predict_dict rows are [ymin, xmin, ymax, xmax, score] in the 640-short-side frame.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PredictDict } from '../../../lib/algorithm-api/types.js';
import { DatasetError, formatVoc } from '../../../lib/dataset/index.js';
import type { VocObject } from '../../../lib/dataset/types.js';
import {
  ianvsF1FromAnnotations,
  ianvsF1Score,
  ianvsGroundTruthBox,
  ianvsFrameSize,
  MetricError,
  type AnnotatedImage,
} from '../../../lib/metrics/index.js';

const PODU = 'Bad_podu';
const QIAO = 'Bad_qiaojiao';

function box(name: string, xmin: number, ymin: number, xmax: number, ymax: number): VocObject {
  return { name, xmin, ymin, xmax, ymax };
}

function ann(image: string, objects: VocObject[], width = 640, height = 640): AnnotatedImage {
  return {
    annotationPath: `/data/Annotations/${image}.xml`,
    annotation: { filename: `${image}.jpeg`, width, height, objects },
  };
}

const f1 = (annotations: AnnotatedImage[], predict: PredictDict, classes?: string[]): number =>
  ianvsF1FromAnnotations(annotations, predict, classes ? { classes } : {}).f1_score;

describe('Ianvs f1_score: basics', () => {
  it('is 1 for perfect predictions of both classes', () => {
    const gt = [ann('a', [box(PODU, 10, 20, 50, 60), box(QIAO, 100, 100, 120, 140)])];
    const predict: PredictDict = {
      'a.jpeg': [
        { name: PODU, bbox: [[20, 10, 60, 50, 0.9]] },
        { name: QIAO, bbox: [[100, 100, 140, 120, 0.8]] },
      ],
    };
    expect(f1(gt, predict)).toBe(1);
  });

  it('macro-averages over the fixed label map: a class never predicted counts as 0', () => {
    const gt = [ann('a', [box(PODU, 10, 20, 50, 60), box(QIAO, 100, 100, 120, 140)])];
    // Bad_podu F1 1, Bad_qiaojiao F1 0 -> 0.5 (averaging only predicted classes would give 1).
    expect(f1(gt, { 'a.jpeg': [{ name: PODU, bbox: [[20, 10, 60, 50, 0.9]] }] })).toBe(0.5);
  });

  it('is 0 when there are no predictions at all (empty dict, or only empty box lists)', () => {
    const gt = [ann('a', [box(PODU, 10, 20, 50, 60)])];
    expect(f1(gt, {})).toBe(0);
    expect(f1(gt, { 'a.jpeg': [{ name: PODU, bbox: [] }] })).toBe(0);
    expect(f1(gt, { 'a.jpeg': [] })).toBe(0);
  });

  it('rounds the average to 4 decimals like Python (0.6667)', () => {
    const gt = [ann('a', [box('x', 10, 10, 50, 50), box('y', 100, 100, 150, 150)])];
    const predict: PredictDict = {
      'a.jpeg': [
        { name: 'x', bbox: [[10, 10, 50, 50, 0.9]] },
        { name: 'y', bbox: [[100, 100, 150, 150, 0.9]] },
      ],
    };
    // F1 (1 + 1 + 0) / 3 = 0.666.. -> 0.6667
    expect(f1(gt, predict, ['x', 'y', 'z'])).toBe(0.6667);
  });

  it("rounds an exact tie half to even, as Python's round does (0.03125 -> 0.0312, not 0.0313)", () => {
    // Class c0: two GT, one hit and one miss -> P = R = 0.5, F1 0.5. Fifteen empty classes -> 0.5 / 16 = 0.03125.
    const gt = [ann('a', [box('c0', 10, 10, 50, 50), box('c0', 300, 300, 350, 350)])];
    const predict: PredictDict = {
      'a.jpeg': [
        {
          name: 'c0',
          bbox: [
            [10, 10, 50, 50, 0.9],
            [500, 500, 520, 520, 0.8],
          ],
        },
      ],
    };
    const classes = Array.from({ length: 16 }, (_, i) => `c${i}`);
    expect(f1(gt, predict, classes)).toBe(0.0312);
  });

  it('matches images by basename (predict key "a.jpeg" meets Annotations/a.xml)', () => {
    const gt = [ann('train_data-PCB-AOI-0001', [box(PODU, 10, 20, 50, 60)])];
    expect(f1(gt, { 'train_data-PCB-AOI-0001.jpeg': [{ name: PODU, bbox: [[20, 10, 60, 50, 0.9]] }] })).toBe(
      0.5,
    );
  });
});

describe('Ianvs f1_score: ground-truth quirks', () => {
  it('clamps a GT box at 0 up to 1 before matching (unclamped IoU would be 0.25 -> miss)', () => {
    // GT (0,0)-(1,1) becomes (1,1)-(1,1): one pixel. The one-pixel prediction at (1,1) has IoU 1
    // with the clamped box; with the raw 2x2 box it would be 1/4 <= 0.3, F1 0.
    expect(ianvsGroundTruthBox(box(PODU, 0, 0, 1, 1), 640, 640)).toEqual([1, 1, 1, 1]);
    const gt = [ann('a', [box(PODU, 0, 0, 1, 1)])];
    expect(f1(gt, { 'a.jpeg': [{ name: PODU, bbox: [[1, 1, 1, 1, 0.9]] }] })).toBe(0.5);
  });

  it('clamps a GT box at W / H down to W-1 / H-1 (unclamped IoU 0.25 -> miss)', () => {
    expect(ianvsGroundTruthBox(box(PODU, 639, 639, 640, 640), 640, 640)).toEqual([639, 639, 639, 639]);
    const gt = [ann('a', [box(PODU, 639, 639, 640, 640)])];
    expect(f1(gt, { 'a.jpeg': [{ name: PODU, bbox: [[639, 639, 639, 639, 0.9]] }] })).toBe(0.5);
  });

  it('clamps one-sidedly, as FPN_TensorFlow does: only xmin/ymin <= 0 and xmax/ymax >= W/H move', () => {
    // xmax = 0 is left alone (a true clamp would make it 1); xmin = 700 > W is left alone too.
    expect(ianvsGroundTruthBox(box(PODU, -5, 3, 0, 700), 640, 640)).toEqual([3, 1, 639, 0]);
    expect(ianvsGroundTruthBox(box(PODU, 700, 3, 800, 9), 640, 640)).toEqual([3, 700, 9, 639]);
  });

  it('rescales GT with integer floor division to the short-side-640 frame', () => {
    // 600x600 -> 640x640: 14 * 640 // 600 = 14 (float 14.93, rounded 15). The one-pixel prediction
    // at 14 matches only the floored box (float box: IoU ~0.002; rounded box: no overlap).
    expect(ianvsGroundTruthBox(box(PODU, 14, 14, 14, 14), 600, 600)).toEqual([14, 14, 14, 14]);
    const gt = [ann('a', [box(PODU, 14, 14, 14, 14)], 600, 600)];
    expect(f1(gt, { 'a.jpeg': [{ name: PODU, bbox: [[14, 14, 14, 14, 0.9]] }] })).toBe(0.5);
  });

  it('computes the frame size itself with integers (800x600 -> 853x640, not 853.33)', () => {
    expect(ianvsFrameSize(800, 600)).toEqual({ width: 853, height: 640 });
    expect(ianvsFrameSize(600, 800)).toEqual({ width: 640, height: 853 });
    expect(ianvsFrameSize(640, 480)).toEqual({ width: 853, height: 640 });
    // x = 600: 600 * 853 // 800 = 639 (with a float frame width 853.33: 640). y = 300: 300 * 640 // 600 = 320.
    expect(ianvsGroundTruthBox(box(PODU, 600, 300, 600, 300), 800, 600)).toEqual([320, 639, 320, 639]);
    const gt = [ann('a', [box(PODU, 600, 300, 600, 300)], 800, 600)];
    expect(f1(gt, { 'a.jpeg': [{ name: PODU, bbox: [[320, 639, 320, 639, 0.9]] }] })).toBe(0.5);
    expect(f1(gt, { 'a.jpeg': [{ name: PODU, bbox: [[320, 640, 320, 640, 0.9]] }] })).toBe(0);
  });
});

describe('Ianvs f1_score: matching quirks', () => {
  it('counts, per class, only images with at least one predicted box of that class', () => {
    // a and b each have one Bad_podu GT; only a gets a Bad_podu prediction (b only a Bad_qiaojiao
    // one, which is a false positive of that class). Ianvs: Bad_podu recall 1/1, F1 1; with b's GT
    // counted it would be recall 1/2, F1 0.6667. Average (1 + 0) / 2 = 0.5 (else 0.3333).
    const gt = [ann('a', [box(PODU, 10, 20, 50, 60)]), ann('b', [box(PODU, 10, 20, 50, 60)])];
    const predict: PredictDict = {
      'a.jpeg': [{ name: PODU, bbox: [[20, 10, 60, 50, 0.9]] }],
      'b.jpeg': [{ name: QIAO, bbox: [[20, 10, 60, 50, 0.9]] }],
    };
    const result = ianvsF1FromAnnotations(gt, predict);
    expect(result.classes[0]).toMatchObject({
      className: PODU,
      groundTruth: 1,
      recall: 1,
      precision: 1,
      f1: 1,
    });
    expect(result.f1_score).toBe(0.5);
  });

  it('takes boxes in descending score order: the higher-scored box gets the match', () => {
    // One GT (x 10..19, y 10..19). The low-score box (listed first) is an exact hit, IoU 1; the
    // high-score box covers x 10..14, IoU 0.5. Sorted: high -> TP, low -> FP (GT already used).
    // In list order the low-score box would be the TP.
    const gt = [ann('a', [box(PODU, 10, 10, 19, 19)])];
    const predict: PredictDict = {
      'a.jpeg': [
        {
          name: PODU,
          bbox: [
            [10, 10, 19, 19, 0.2],
            [10, 10, 19, 14, 0.9],
          ],
        },
      ],
    };
    const { matches } = ianvsF1FromAnnotations(gt, predict).classes[0]!;
    expect(matches.map((m) => [m.bbox[4], m.truePositive])).toEqual([
      [0.9, true],
      [0.2, false],
    ]);
    expect(matches[0]!.iou).toBe(0.5);
  });

  it('uses IoU with the +1 pixel convention', () => {
    // Same rows y 10..19; GT x 10..13, prediction x 12..15. +1: 2 / (4 + 4 - 2) = 0.333 > 0.3 -> hit.
    // Without +1: 1 / (3 + 3 - 1) = 0.2 -> miss.
    const gt = [ann('a', [box(PODU, 10, 10, 13, 19)])];
    const result = ianvsF1FromAnnotations(gt, { 'a.jpeg': [{ name: PODU, bbox: [[10, 12, 19, 15, 0.9]] }] });
    expect(result.classes[0]!.matches[0]!.iou).toBeCloseTo(1 / 3, 12);
    expect(result.f1_score).toBe(0.5);
  });

  it('needs IoU strictly above 0.3: exactly 0.3 is a miss', () => {
    // GT x 10..19 (10 px), prediction x 10..12 (3 px), same rows: IoU 30 / 100 = 0.3 -> miss.
    // x 10..13: 0.4 -> hit.
    const gt = [ann('a', [box(PODU, 10, 10, 19, 19)])];
    const exact = ianvsF1FromAnnotations(gt, { 'a.jpeg': [{ name: PODU, bbox: [[10, 10, 19, 12, 0.9]] }] });
    expect(exact.classes[0]!.matches[0]!.iou).toBe(0.3);
    expect(exact.f1_score).toBe(0);
    expect(f1(gt, { 'a.jpeg': [{ name: PODU, bbox: [[10, 10, 19, 13, 0.9]] }] })).toBe(0.5);
  });

  it('does not reuse a matched GT, and does not fall back to another GT that also overlaps', () => {
    // GT1 x 10..19, GT2 x 16..25 (rows 10..19). P1 (0.9) is exactly GT1 -> TP. P2 (0.8) covers
    // x 12..21: IoU 0.667 with GT1 (best, already used) and 0.43 with GT2 -> FP all the same.
    // TP 1, FP 1, GT 2 -> P = R = 0.5, F1 0.5; average 0.25. Reusing GT1, or matching P2 to GT2,
    // would give F1 1 (average 0.5).
    const gt = [ann('a', [box(PODU, 10, 10, 19, 19), box(PODU, 16, 10, 25, 19)])];
    const predict: PredictDict = {
      'a.jpeg': [
        {
          name: PODU,
          bbox: [
            [10, 10, 19, 19, 0.9],
            [10, 12, 19, 21, 0.8],
          ],
        },
      ],
    };
    const result = ianvsF1FromAnnotations(gt, predict);
    expect(result.classes[0]).toMatchObject({ truePositives: 1, falsePositives: 1, groundTruth: 2, f1: 0.5 });
    expect(result.f1_score).toBe(0.25);
  });

  it('keeps only the last predict_dict entry of a class for an image', () => {
    // The first Bad_podu entry is a perfect hit, the second a miss; Ianvs keeps the second -> F1 0.
    const gt = [ann('a', [box(PODU, 10, 20, 50, 60)])];
    const predict: PredictDict = {
      'a.jpeg': [
        { name: PODU, bbox: [[20, 10, 60, 50, 0.9]] },
        { name: PODU, bbox: [[300, 300, 340, 340, 0.9]] },
      ],
    };
    expect(f1(gt, predict)).toBe(0);
  });

  it('counts predictions on an image without GT of the class as false positives', () => {
    const gt = [ann('a', [box(PODU, 10, 20, 50, 60)]), ann('empty', [])];
    const predict: PredictDict = {
      'a.jpeg': [{ name: PODU, bbox: [[20, 10, 60, 50, 0.9]] }],
      'empty.jpeg': [{ name: PODU, bbox: [[20, 10, 60, 50, 0.9]] }],
    };
    // TP 1, FP 1, GT 1 -> P 0.5, R 1, F1 0.6667; average 0.3333.
    expect(f1(gt, predict)).toBe(0.3333);
  });
});

describe('Ianvs f1_score: bad input', () => {
  it('refuses boxes for an image without annotation', () => {
    const gt = [ann('a', [box(PODU, 10, 20, 50, 60)])];
    expect(() => f1(gt, { 'zzz.jpeg': [{ name: PODU, bbox: [[1, 1, 5, 5, 0.5]] }] })).toThrow(
      expect.objectContaining({ code: 'PREDICTION_WITHOUT_GROUND_TRUTH' }),
    );
  });

  it('refuses a GT class outside the label map, naming the file', () => {
    const gt = [ann('a', [box('Scratch', 10, 20, 50, 60)])];
    expect(() => f1(gt, {})).toThrow(MetricError);
    expect(() => f1(gt, {})).toThrow(/a\.xml.*Scratch/);
  });

  it('refuses malformed predict_dict rows', () => {
    const gt = [ann('a', [box(PODU, 10, 20, 50, 60)])];
    const bad = { 'a.jpeg': [{ name: PODU, bbox: [[20, 10, 60, 50]] }] } as PredictDict;
    expect(() => f1(gt, bad)).toThrow(expect.objectContaining({ code: 'INVALID_PREDICTION' }));
  });
});

describe('ianvsF1Score (from XML paths)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ianvs-f1-'));
    await mkdir(join(dir, 'Annotations'));
    const write = (name: string, objects: VocObject[], width = 640, height = 640): Promise<void> =>
      writeFile(
        join(dir, 'Annotations', `${name}.xml`),
        formatVoc({ filename: `${name}.jpeg`, width, height, objects }),
      );
    await write('img1', [box(PODU, 10, 20, 50, 60), box(QIAO, 100, 100, 120, 140)]);
    await write('img2', [box(QIAO, 0, 0, 30, 30)], 800, 600);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the files and scores the predict_dict', () => {
    const paths = ['img1', 'img2'].map((n) => join(dir, 'Annotations', `${n}.xml`));
    // img2 800x600 -> 853x640; GT (0,0)-(30,30) clamps to (1,1)-(30,30) -> x 1*853//800=1, 30*853//800=31;
    // y 1*640//600=1, 30*640//600=32.
    const predict: PredictDict = {
      'img1.jpeg': [
        { name: PODU, bbox: [[20, 10, 60, 50, 0.9]] },
        { name: QIAO, bbox: [[100, 100, 140, 120, 0.7]] },
      ],
      'img2.jpeg': [{ name: QIAO, bbox: [[1, 1, 32, 31, 0.8]] }],
    };
    expect(ianvsF1Score(paths, predict)).toBe(1);
    expect(ianvsF1Score(paths, {})).toBe(0);
  });

  it('throws a DatasetError naming a missing XML', () => {
    expect(() => ianvsF1Score([join(dir, 'Annotations', 'nope.xml')], {})).toThrow(DatasetError);
    expect(() => ianvsF1Score([join(dir, 'Annotations', 'nope.xml')], {})).toThrow(/nope\.xml/);
  });
});
