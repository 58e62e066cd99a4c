/**
 * Standard detection metrics on plain arrays, boxes in original image pixels: F1 at a chosen IoU
 * and Pascal VOC mAP@0.5.
 *
 * Conventions (one set, shared by both metrics):
 * - IoU from continuous areas, `(xmax - xmin) * (ymax - ymin)`, no +1 pixel (COCO, torchvision);
 *   a match needs IoU >= the threshold (the VOC devkit's `ovmax >= minoverlap`);
 * - VOC matching per class: predictions in descending score over the whole set (ties: input
 *   order), each against the best-overlapping ground truth of its image; a second hit on an
 *   already matched box is a false positive; a hit on a `difficult` box is ignored and difficult
 *   boxes are not counted as positives;
 * - AP is the all-point interpolated area (VOC2010 and later), not the VOC2007 11-point sampling:
 *   it uses every recall change, so it is exact for small test sets;
 * - classes: `options.classes`, else every class seen in ground truth or predictions. F1 is
 *   macro-averaged over classes that have ground truth or predictions; mAP over classes that have
 *   ground truth. With nothing to average, both are 0.
 */
import type { Box } from '../algorithm-api/types.js';

/** A ground-truth box. */
export interface GroundTruthBox {
  image: string;
  class: string;
  box: Box;
  difficult?: boolean;
}

/** A predicted box. */
export interface PredictedBox {
  image: string;
  class: string;
  score: number;
  box: Box;
}

/** Per-class figures at one IoU threshold. */
export interface ClassStats {
  class: string;
  /** Non-difficult ground-truth boxes. */
  groundTruth: number;
  predictions: number;
  truePositives: number;
  falsePositives: number;
  precision: number;
  recall: number;
  f1: number;
  /** All-point interpolated average precision (0 when the class has no ground truth). */
  ap: number;
}

/** Options of the standard metrics. */
export interface DetectionMetricOptions {
  classes?: readonly string[];
}

/** IoU of two boxes from continuous areas. */
export function boxIou(a: Box, b: Box): number {
  const iw = Math.min(a.xmax, b.xmax) - Math.max(a.xmin, b.xmin);
  const ih = Math.min(a.ymax, b.ymax) - Math.max(a.ymin, b.ymin);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.xmax - a.xmin) * (a.ymax - a.ymin) + (b.xmax - b.xmin) * (b.ymax - b.ymin) - inter;
  return union > 0 ? inter / union : 0;
}

/** VOC all-point AP from cumulative recall / precision. */
export function allPointAp(recall: number[], precision: number[]): number {
  const mrec = [0, ...recall, 1];
  const mpre = [0, ...precision, 0];
  for (let i = mpre.length - 1; i > 0; i -= 1) mpre[i - 1] = Math.max(mpre[i - 1]!, mpre[i]!);
  let ap = 0;
  for (let i = 0; i < mrec.length - 1; i += 1) {
    if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1]! - mrec[i]!) * mpre[i + 1]!;
  }
  return ap;
}

function classStats(className: string, gt: GroundTruthBox[], preds: PredictedBox[], iou: number): ClassStats {
  const byImage = new Map<string, { boxes: GroundTruthBox[]; used: boolean[] }>();
  for (const g of gt) {
    const entry = byImage.get(g.image) ?? { boxes: [], used: [] };
    entry.boxes.push(g);
    entry.used.push(false);
    byImage.set(g.image, entry);
  }
  const positives = gt.filter((g) => !g.difficult).length;
  const sorted = preds.map((p, i) => ({ p, i })).sort((a, b) => b.p.score - a.p.score || a.i - b.i);
  const flags: boolean[] = [];
  for (const { p } of sorted) {
    const entry = byImage.get(p.image);
    let best = -1;
    let bestIou = -Infinity;
    entry?.boxes.forEach((g, j) => {
      const o = boxIou(p.box, g.box);
      if (o > bestIou) {
        bestIou = o;
        best = j;
      }
    });
    if (!entry || best < 0 || bestIou < iou) flags.push(false);
    else if (entry.boxes[best]!.difficult) continue;
    else if (entry.used[best]) flags.push(false);
    else {
      entry.used[best] = true;
      flags.push(true);
    }
  }
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  flags.forEach((hit, k) => {
    if (hit) tp += 1;
    recall.push(positives ? tp / positives : 0);
    precision.push(tp / (k + 1));
  });
  const fp = flags.length - tp;
  const p = flags.length ? tp / flags.length : 0;
  const r = positives ? tp / positives : 0;
  return {
    class: className,
    groundTruth: positives,
    predictions: preds.length,
    truePositives: tp,
    falsePositives: fp,
    precision: p,
    recall: r,
    f1: p + r ? (2 * p * r) / (p + r) : 0,
    ap: positives ? allPointAp(recall, precision) : 0,
  };
}

/** Per-class precision, recall, F1 and AP at IoU `iou`. */
export function detectionStats(
  gt: GroundTruthBox[],
  predictions: PredictedBox[],
  iou: number,
  options: DetectionMetricOptions = {},
): ClassStats[] {
  const classes =
    options.classes ?? [...new Set([...gt.map((g) => g.class), ...predictions.map((p) => p.class)])].sort();
  return classes.map((c) =>
    classStats(
      c,
      gt.filter((g) => g.class === c),
      predictions.filter((p) => p.class === c),
      iou,
    ),
  );
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
}

/** Macro F1 over classes at IoU >= `iou` (default 0.5). */
export function f1AtIou(
  gt: GroundTruthBox[],
  predictions: PredictedBox[],
  iou = 0.5,
  options: DetectionMetricOptions = {},
): number {
  const stats = detectionStats(gt, predictions, iou, options).filter(
    (s) => s.groundTruth > 0 || s.predictions > 0,
  );
  return mean(stats.map((s) => s.f1));
}

/** Pascal VOC mAP at IoU 0.5, all-point AP, over classes with ground truth. */
export function vocMap50(
  gt: GroundTruthBox[],
  predictions: PredictedBox[],
  options: DetectionMetricOptions = {},
): number {
  return mean(
    detectionStats(gt, predictions, 0.5, options)
      .filter((s) => s.groundTruth > 0)
      .map((s) => s.ap),
  );
}
