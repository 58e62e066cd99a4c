import type { Logger } from '../lib/log.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import type { LabelingJob } from './app.js';
import { LABELING_DEFAULTS } from './defaults.js';
import type { GroundTruthOracle } from './ground-truth-oracle.js';
import { detectionToLabelBox, type LabelBox, type LabelMethod } from './label-box.js';
import type { LabeledIndex } from './labeled-index.js';
import type { LabelingMetrics } from './labeling-metrics.js';
import { labeledStem, readSample, readSampleImage, saveLabels, type SampleRef } from './label-writer.js';
import { listSamples } from './sample-queue.js';
import type { Teacher } from './teacher-model.js';

export interface AutoLabelOptions {
  store: ObjectStore;
  bucket: string;
  index: LabeledIndex;
  job: LabelingJob;
  /** Ground truth by image content; samples it knows are labeled `oracle`. */
  oracle?: GroundTruthOracle | null;
  /** The newest cloud model; labels the rest as `teacher`. */
  teacher?: Teacher | null;
  /** Teacher boxes below this score are dropped (lower than the edge's, to catch more). Default 0.3. */
  teacherScoreThreshold?: number;
  /** Label at most this many samples per call. */
  limit?: number;
  metrics?: LabelingMetrics;
  logger?: Logger;
}

/** What one auto-labeling pass did. */
export interface AutoLabelReport {
  oracle: number;
  teacher: number;
  skipped: number;
}

/**
 * Labels a job's pending samples without a person: copies the ground truth when the image is a
 * known dataset image (`oracle`), else keeps the teacher's boxes above its threshold (`teacher`).
 * A sample neither can label stays pending for a person. The method is recorded in each sidecar.
 */
export async function autoLabel(options: AutoLabelOptions): Promise<AutoLabelReport> {
  const { store, bucket, job } = options;
  const report: AutoLabelReport = { oracle: 0, teacher: 0, skipped: 0 };
  const listing = await listSamples(store, bucket, job.namespace, job.job);
  for (const entry of listing.pending.slice(0, options.limit ?? Infinity)) {
    const ref = { namespace: job.namespace, job: job.job, node: entry.node, id: entry.id };
    let method: LabelMethod | null;
    try {
      method = await labelOne(options, ref);
    } catch (err) {
      // One bad sample (a malformed record, a vanished image) must not block the rest; it stays pending.
      options.logger?.warn({ err, node: entry.node, id: entry.id }, 'Could not auto-label sample');
      method = null;
    }
    if (method === null) {
      report.skipped += 1;
      options.metrics?.autoSkipped.inc();
    } else {
      report[method === 'oracle' ? 'oracle' : 'teacher'] += 1;
      options.metrics?.saves.inc({ method });
    }
  }
  // A pass that found nothing to label is routine; only work done is worth an info line.
  const labeled = report.oracle + report.teacher + report.skipped > 0;
  options.logger?.[labeled ? 'info' : 'debug'](
    { job: `${job.namespace}/${job.job}`, ...report },
    'Auto-labeled samples',
  );
  return report;
}

/** Labels one sample; returns the method used, or null when neither oracle nor teacher could. */
async function labelOne(options: AutoLabelOptions, ref: SampleRef): Promise<LabelMethod | null> {
  const { store, bucket } = options;
  // The record is read though its size is not used: a malformed one marks a bad upload, left pending.
  await readSample(store, bucket, ref);
  const image = await readSampleImage(store, bucket, ref);
  const labels = await proposeLabels(options, image, `${labeledStem(ref.node, ref.id)}.jpeg`);
  if (!labels) return null;
  await saveLabels({ store, bucket, index: options.index }, ref, {
    boxes: labels.boxes,
    classes: options.job.classes,
    method: labels.method,
    image,
    ...(labels.modelVersion ? { modelVersion: labels.modelVersion } : {}),
  });
  return labels.method;
}

async function proposeLabels(
  options: AutoLabelOptions,
  image: { bytes: Buffer; width: number; height: number },
  name: string,
): Promise<{ boxes: LabelBox[]; method: LabelMethod; modelVersion?: string } | null> {
  const size = { width: image.width, height: image.height };
  const known = new Set(options.job.classes);
  const truth = options.oracle ? await options.oracle.lookup(image.bytes) : null;
  if (truth) {
    // The sample may be the dataset image at another size: scale the ground truth to it.
    const sx = size.width / truth.width;
    const sy = size.height / truth.height;
    const boxes = truth.objects
      .filter((o) => known.has(o.name))
      .map((o) =>
        detectionToLabelBox(
          o.name,
          { xmin: (o.xmin - 1) * sx, ymin: (o.ymin - 1) * sy, xmax: o.xmax * sx, ymax: o.ymax * sy },
          size,
        ),
      )
      .filter((b): b is LabelBox => b !== null);
    return { boxes, method: 'oracle' };
  }
  if (!options.teacher) return null;
  const threshold = options.teacherScoreThreshold ?? LABELING_DEFAULTS.teacherScoreThreshold;
  const detections = await options.teacher.detect(image.bytes, name);
  const boxes = detections
    .filter((d) => d.score >= threshold && known.has(d.class))
    .map((d) => detectionToLabelBox(d.class, d.box, size))
    .filter((b): b is LabelBox => b !== null);
  if (boxes.length === 0) return null;
  return { boxes, method: 'teacher', modelVersion: options.teacher.version };
}
