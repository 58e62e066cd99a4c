/**
 * The Ianvs PCB-AoI `f1_score`, reproduced operation for operation from
 * `examples/pcb-aoi/singletask_learning_bench/testenv/f1_score.py` (kubeedge/ianvs) and the
 * FPN_TensorFlow helpers it calls (`convert_labels` / `read_xml_gtbox_and_label` /
 * `read_and_prepocess_single_label` for the ground truth, `get_single_label_dict` /
 * `single_label_eval` for the matching). Every quirk is kept, because published Ianvs figures
 * are only comparable when computed the same way:
 *
 * - ground truth clamped one-sidedly to [1, W-1] x [1, H-1] and rescaled with integer floor
 *   division to the frame where the short side is 640 (see {@link ianvsGroundTruthBox});
 * - per class, only images with at least one predicted box of that class take part: their
 *   ground truth is counted, ground truth of other images is ignored (no false negatives);
 * - if an image lists the same class twice in its predict_dict entry, the last entry wins;
 * - within an image, boxes are taken in descending score (ties: input order);
 * - IoU with the +1 pixel convention; a match needs IoU strictly above 0.3 against the best
 *   overlapping ground truth (argmax over all of them, matched or not); a matched ground truth is
 *   not reused: a second hit on it is a false positive, even if another ground truth overlaps;
 * - F1 per class from the final precision and recall, averaged over the fixed class list (a class
 *   never predicted counts as 0), rounded to 4 decimals like Python's `round`.
 *
 * No predictions at all give 0 (every class has empty recall and precision arrays, so F1 0).
 *
 * Where Ianvs would crash, this throws a typed error or does the obvious thing instead (documented
 * on {@link ianvsF1Score}).
 */
import { basename } from 'node:path';
import type { PredictDict } from '../algorithm-api/types.js';
import { readVocFileSync } from '../dataset/voc.js';
import type { VocAnnotation } from '../dataset/types.js';
import { IANVS_SHORT_SIDE, ianvsGroundTruthBox } from './ianvs-frame.js';
import { MetricError } from './metric-error.js';
import { pythonRound } from './python-round.js';

/** FPN_TensorFlow's `NAME_LABEL_MAP` for PCB-AoI, without `back_ground`, in its order. */
export const IANVS_PCB_AOI_CLASSES: readonly string[] = ['Bad_podu', 'Bad_qiaojiao'];
/** `single_label_eval(rboxes, gboxes, 0.3, False)` */
export const IANVS_IOU_THRESHOLD = 0.3;

/** Options of the Ianvs metric. Defaults reproduce the PCB-AoI benchmark. */
export interface IanvsF1Options {
  /** The label map, background excluded; default {@link IANVS_PCB_AOI_CLASSES}. */
  classes?: readonly string[];
  shortSide?: number;
}

/** A ground-truth annotation and the file it came from (the file name is the image key). */
export interface AnnotatedImage {
  annotationPath: string;
  annotation: VocAnnotation;
}

/** One predicted box after matching, for inspection and tests. */
export interface IanvsBoxMatch {
  image: string;
  /** `[ymin, xmin, ymax, xmax, score]` as predicted. */
  bbox: number[];
  /** Best IoU against the image's ground truth of the class (NaN when it had none). */
  iou: number;
  truePositive: boolean;
}

/** What `single_label_eval` computes for one class. */
export interface IanvsClassResult {
  className: string;
  /** Images with at least one predicted box of the class, in predict_dict order. */
  images: string[];
  /** Ground-truth boxes of the class in those images (`box_num`). */
  groundTruth: number;
  truePositives: number;
  falsePositives: number;
  recall: number;
  precision: number;
  f1: number;
  /** Every predicted box in evaluation order (per image, descending score). */
  matches: IanvsBoxMatch[];
}

/** Ianvs matches images by name: the file name up to its first dot (`a/b/x.xml` and `x.jpeg` → `x`). */
export function ianvsImageKey(name: string): string {
  return basename(name).split('.')[0]!;
}

/** A ground-truth box in the 640 frame, `[ymin, xmin, ymax, xmax]`. */
export type IanvsGroundTruthBox = { name: string; bbox: [number, number, number, number] };
/** Image key → ground truth, as `convert_labels` returns it. */
export type IanvsGroundTruth = Map<string, IanvsGroundTruthBox[]>;
/** Image key → predict_dict entries, after f1_score's re-keying. */
export type IanvsPredictions = Map<string, Array<{ name: string; bbox: number[][] }>>;
type GtBox = IanvsGroundTruthBox;

/** `convert_labels`: image key → ground-truth boxes in the 640 frame. A repeated key: the last file wins. */
function groundTruthByImage(
  annotations: AnnotatedImage[],
  classes: readonly string[],
  shortSide: number,
): Map<string, GtBox[]> {
  const known = new Set(classes);
  const out = new Map<string, GtBox[]>();
  for (const { annotationPath, annotation } of annotations) {
    const boxes = annotation.objects.map((obj): GtBox => {
      if (!known.has(obj.name)) {
        throw new MetricError(
          'UNKNOWN_CLASS',
          `${annotationPath}: class "${obj.name}" is not one of the metric's classes (${classes.join(', ')})`,
        );
      }
      return {
        name: obj.name,
        bbox: ianvsGroundTruthBox(obj, annotation.width, annotation.height, shortSide),
      };
    });
    out.set(ianvsImageKey(annotationPath), boxes);
  }
  return out;
}

function checkRows(image: string, entry: unknown): { name: string; bbox: number[][] } {
  const e = entry as { name?: unknown; bbox?: unknown };
  const rowsOk =
    Array.isArray(e?.bbox) &&
    e.bbox.every(
      (row) =>
        Array.isArray(row) &&
        row.length === 5 &&
        row.every((v) => typeof v === 'number' && Number.isFinite(v)),
    );
  if (typeof e?.name !== 'string' || !rowsOk) {
    throw new MetricError(
      'INVALID_PREDICTION',
      `predict_dict["${image}"]: expected { name: string, bbox: [[ymin, xmin, ymax, xmax, score], ...] }`,
    );
  }
  return e as { name: string; bbox: number[][] };
}

/** f1_score's first loop: re-key the dict; on a key collision the first non-empty value wins. */
function normalisePredictions(
  predictDict: PredictDict,
): Map<string, Array<{ name: string; bbox: number[][] }>> {
  const out = new Map<string, Array<{ name: string; bbox: number[][] }>>();
  for (const [image, value] of Object.entries(predictDict)) {
    if (!Array.isArray(value))
      throw new MetricError('INVALID_PREDICTION', `predict_dict["${image}"] is not a list`);
    const entries = value.map((entry) => checkRows(image, entry));
    const key = ianvsImageKey(image);
    if (!out.get(key)?.length) out.set(key, entries);
  }
  return out;
}

/** Overlaps of one box against ground truth, +1 pixel convention, in numpy's operation order. */
function overlaps(r: number[], gts: GtBox[]): number[] {
  return gts.map(({ bbox: g }) => {
    const iw = Math.max(Math.min(g[2], r[2]!) - Math.max(g[0], r[0]!) + 1, 0);
    const ih = Math.max(Math.min(g[3], r[3]!) - Math.max(g[1], r[1]!) + 1, 0);
    const inters = iw * ih;
    const uni = (r[2]! - r[0]! + 1) * (r[3]! - r[1]! + 1) + (g[2] - g[0] + 1) * (g[3] - g[1] + 1) - inters;
    return inters / uni;
  });
}

/** `get_single_label_dict` + `single_label_eval` for one class. */
export function ianvsEvaluateClass(
  predictions: IanvsPredictions,
  groundTruth: IanvsGroundTruth,
  className: string,
  iouThreshold = IANVS_IOU_THRESHOLD,
): IanvsClassResult {
  // get_single_label_dict: the last non-empty entry of the class wins.
  const rboxes = new Map<string, number[][]>();
  for (const [image, entries] of predictions) {
    for (const entry of entries) {
      if (entry.name !== className || entry.bbox.length === 0) continue;
      const gts = groundTruth.get(image);
      if (!gts) {
        throw new MetricError(
          'PREDICTION_WITHOUT_GROUND_TRUTH',
          `predict_dict has boxes for "${image}", which has no annotation`,
        );
      }
      rboxes.set(image, entry.bbox);
    }
  }
  const matches: IanvsBoxMatch[] = [];
  const fp: number[] = [];
  const tp: number[] = [];
  let boxNum = 0;
  for (const [image, boxes] of rboxes) {
    const gts = groundTruth.get(image)!.filter((g) => g.name === className);
    let imageTp = 0;
    let imageFp = 0;
    if (gts.length > 0) {
      boxNum += gts.length;
      const used = gts.map(() => false);
      const sorted = boxes.map((b, i) => ({ b, i })).sort((a, b) => b.b[4]! - a.b[4]! || a.i - b.i);
      for (const { b } of sorted) {
        const ious = overlaps(b, gts);
        // np.max propagates NaN (a degenerate box), and NaN > 0.3 is false: a false positive.
        const ovmax = ious.some(Number.isNaN) ? NaN : Math.max(...ious);
        const jmax = ious.indexOf(ovmax);
        const hit = ovmax > iouThreshold && !used[jmax];
        if (hit) used[jmax] = true;
        if (hit) imageTp += 1;
        else imageFp += 1;
        matches.push({ image, bbox: b, iou: ovmax, truePositive: hit });
      }
    } else {
      imageFp += boxes.length;
      for (const b of boxes) matches.push({ image, bbox: b, iou: NaN, truePositive: false });
    }
    tp.push(imageTp);
    fp.push(imageFp);
  }
  const tpTotal = tp.reduce((a, b) => a + b, 0);
  const fpTotal = fp.reduce((a, b) => a + b, 0);
  let recall = 0;
  let precision = 0;
  if (rboxes.size > 0) {
    if (boxNum === 0) {
      // Ianvs: rec stays zeros; prec[-1] reflects only the last image.
      precision = fp.at(-1) !== 0 ? 0 : 1;
    } else {
      precision = tpTotal / Math.max(tpTotal + fpTotal, Number.EPSILON);
      recall = tpTotal / boxNum;
    }
  }
  const f1 = recall + precision ? (2 * precision * recall) / (recall + precision) : 0;
  return {
    className,
    images: [...rboxes.keys()],
    groundTruth: boxNum,
    truePositives: tpTotal,
    falsePositives: fpTotal,
    recall,
    precision,
    f1,
    matches,
  };
}

/** The Ianvs metric on already-parsed annotations, with the per-class detail. */
export function ianvsF1FromAnnotations(
  annotations: AnnotatedImage[],
  predictDict: PredictDict,
  options: IanvsF1Options = {},
): { f1_score: number; classes: IanvsClassResult[] } {
  const classes = options.classes ?? IANVS_PCB_AOI_CLASSES;
  const groundTruth = groundTruthByImage(annotations, classes, options.shortSide ?? IANVS_SHORT_SIDE);
  const predictions = normalisePredictions(predictDict);
  const results = classes.map((c) => ianvsEvaluateClass(predictions, groundTruth, c));
  let sum = 0;
  for (const r of results) sum += r.f1;
  return { f1_score: results.length ? pythonRound(sum / results.length, 4) : 0, classes: results };
}

/**
 * Ianvs `f1_score(y_true, y_pred)`: `yTrueXmlPaths` are the test set's VOC files, `predictDict`
 * the model's `predict_dict` (image basename → per-class `[ymin, xmin, ymax, xmax, score]` rows in
 * the 640-short-side frame). Returns the macro F1 rounded to 4 decimals.
 *
 * Where Ianvs would crash or silently skip, this instead:
 * - throws DatasetError for a missing or corrupt XML (Ianvs skips a missing file);
 * - treats an annotation without objects as an image without ground truth (Ianvs's reader fails
 *   on an empty box array);
 * - throws MetricError `UNKNOWN_CLASS` for a class outside the label map (Ianvs: KeyError) and
 *   `PREDICTION_WITHOUT_GROUND_TRUTH` for boxes on an image with no annotation (Ianvs: KeyError);
 * - matches images by name up to the first dot, so `x.jpg` predictions meet `x.xml` (Ianvs keys
 *   the ground truth as `<xml stem>.jpeg` and would fail on other extensions);
 * - truncates non-integer XML coordinates (Ianvs's `int()` rejects them).
 * - reads `<bndbox>` coordinates by name (Ianvs takes its children by position, which agrees
 *   for every VOC writer that emits xmin, ymin, xmax, ymax in order).
 * Ties in score inside one image keep input order (numpy's default sort is not stable for
 * large arrays); the F1 does not depend on the order, only which box of a tie is marked TP.
 */
export function ianvsF1Score(
  yTrueXmlPaths: string[],
  predictDict: PredictDict,
  options: IanvsF1Options = {},
): number {
  const annotations = yTrueXmlPaths.map((annotationPath) => ({
    annotationPath,
    annotation: readVocFileSync(annotationPath),
  }));
  return ianvsF1FromAnnotations(annotations, predictDict, options).f1_score;
}
