import type { PredictDict } from '../algorithm-api/types.js';
import type { Dataset } from '../dataset/types.js';
import { readVocFile } from '../dataset/voc.js';
import { f1AtIou, vocMap50, type GroundTruthBox, type PredictedBox } from './detection-metrics.js';
import { IANVS_SHORT_SIDE, ianvsFrameSize } from './ianvs-frame.js';
import { ianvsF1FromAnnotations, ianvsImageKey, type AnnotatedImage } from './ianvs-f1.js';
import { MetricError } from './metric-error.js';

/** Options shared by every named metric. */
export interface EvaluateOptions {
  /** Class list; default: the PCB-AoI label map for `f1_score`, the classes seen for the others. */
  classes?: readonly string[];
  /** Short side of the predict_dict frame (default 640). */
  shortSide?: number;
}

/** A metric the registry knows: computes one number from annotations and a predict_dict. */
export interface DetectionMetric {
  name: string;
  compute(annotations: AnnotatedImage[], predictDict: PredictDict, options?: EvaluateOptions): number;
}

/** Ground truth in original pixels, images keyed like Ianvs (file name up to the first dot). */
export function groundTruthBoxes(annotations: AnnotatedImage[]): GroundTruthBox[] {
  return annotations.flatMap(({ annotationPath, annotation }) =>
    annotation.objects.map((o) => ({
      image: ianvsImageKey(annotationPath),
      class: o.name,
      box: { xmin: o.xmin, ymin: o.ymin, xmax: o.xmax, ymax: o.ymax },
      ...(o.difficult ? { difficult: true } : {}),
    })),
  );
}

/**
 * predict_dict rows (`[ymin, xmin, ymax, xmax, score]`, 640-short-side frame) back to original
 * pixels, using each image's size from its annotation and Ianvs's frame arithmetic.
 */
export function predictedBoxes(
  annotations: AnnotatedImage[],
  predictDict: PredictDict,
  shortSide = IANVS_SHORT_SIDE,
): PredictedBox[] {
  const sizes = new Map(annotations.map((a) => [ianvsImageKey(a.annotationPath), a.annotation]));
  const out: PredictedBox[] = [];
  for (const [image, entries] of Object.entries(predictDict)) {
    const rows = (entries ?? []).flatMap((e) => (e.bbox ?? []).map((row) => ({ name: e.name, row })));
    if (rows.length === 0) continue;
    const size = sizes.get(ianvsImageKey(image));
    if (!size)
      throw new MetricError(
        'PREDICTION_WITHOUT_GROUND_TRUTH',
        `predict_dict has boxes for "${image}", which has no annotation`,
      );
    const frame = ianvsFrameSize(size.width, size.height, shortSide);
    const sx = size.width / frame.width;
    const sy = size.height / frame.height;
    for (const { name, row } of rows) {
      if (row.length !== 5 || !row.every(Number.isFinite)) {
        throw new MetricError(
          'INVALID_PREDICTION',
          `predict_dict["${image}"] has a row that is not [ymin, xmin, ymax, xmax, score]`,
        );
      }
      const [ymin, xmin, ymax, xmax, score] = row as [number, number, number, number, number];
      out.push({
        image: ianvsImageKey(image),
        class: name,
        score,
        box: { xmin: xmin * sx, ymin: ymin * sy, xmax: xmax * sx, ymax: ymax * sy },
      });
    }
  }
  return out;
}

const ianvs: DetectionMetric = {
  name: 'f1_score',
  compute: (annotations, predictDict, options = {}) =>
    ianvsF1FromAnnotations(annotations, predictDict, options).f1_score,
};

const map50: DetectionMetric = {
  name: 'mAP50',
  compute: (annotations, predictDict, options = {}) =>
    vocMap50(
      groundTruthBoxes(annotations),
      predictedBoxes(annotations, predictDict, options.shortSide),
      options,
    ),
};

function f1At(iou: number, name: string): DetectionMetric {
  return {
    name,
    compute: (annotations, predictDict, options = {}) =>
      f1AtIou(
        groundTruthBoxes(annotations),
        predictedBoxes(annotations, predictDict, options.shortSide),
        iou,
        options,
      ),
  };
}

/** Names {@link metricByName} accepts. */
export const METRIC_NAMES = ['f1_score', 'mAP50', 'f1@<iou>'] as const;

/**
 * The metric registry: `f1_score` (Ianvs PCB-AoI, exact), `mAP50` (VOC all-point mAP@0.5) and
 * `f1@<iou>` (standard F1 at an IoU in (0, 1], e.g. `f1@0.5`). An unknown name is a
 * {@link MetricError} `UNKNOWN_METRIC` listing the valid ones.
 */
export function metricByName(name: string): DetectionMetric {
  if (name === 'f1_score') return ianvs;
  if (name === 'mAP50') return map50;
  const match = /^f1@(\d*\.?\d+)$/.exec(name);
  const iou = match ? Number(match[1]) : NaN;
  if (iou > 0 && iou <= 1) return f1At(iou, name);
  throw new MetricError(
    'UNKNOWN_METRIC',
    `Unknown metric "${name}"; valid: f1_score, mAP50, f1@<iou> with iou in (0, 1] (e.g. f1@0.5)`,
  );
}

/** Reads the VOC annotation of every labeled sample (unlabeled samples are left out). */
export async function readAnnotations(dataset: Dataset): Promise<AnnotatedImage[]> {
  const labeled = dataset.samples.filter((s) => s.annotationPath !== undefined);
  return Promise.all(
    labeled.map(async (s) => ({
      annotationPath: s.annotationPath!,
      annotation: await readVocFile(s.annotationPath!),
    })),
  );
}

/**
 * Evaluates a predict_dict on a dataset with the named metrics (validated before any file is
 * read); returns name → value.
 */
export async function evaluateMetrics(
  dataset: Dataset,
  predictDict: PredictDict,
  names: string[],
  options: EvaluateOptions = {},
): Promise<Record<string, number>> {
  const metrics = names.map(metricByName);
  const annotations = await readAnnotations(dataset);
  return Object.fromEntries(metrics.map((m) => [m.name, m.compute(annotations, predictDict, options)]));
}

/** The two headline figures of a predict_dict on a dataset: Ianvs `f1_score` and VOC `mAP50`. */
export async function evaluateDetections(
  dataset: Dataset,
  predictDict: PredictDict,
  options: EvaluateOptions = {},
): Promise<{ f1_score: number; mAP50: number }> {
  const annotations = await readAnnotations(dataset);
  return {
    f1_score: ianvs.compute(annotations, predictDict, options),
    mAP50: map50.compute(annotations, predictDict, options),
  };
}
