import { formatVoc } from '../lib/dataset/voc.js';
import { EdgeStlError } from '../lib/errors/index.js';
import { CorruptImageError, imageSize } from '../lib/image/index.js';
import { labeledPrefix, sampleKey } from '../lib/storage/layout.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { assertValidBoxes, type LabelBox, type LabelMethod } from './label-box.js';
import type { LabeledIndex } from './labeled-index.js';
import { labelMetaKey } from './sample-queue.js';
import type { SampleRecord } from '../lib/protocol/index.js';
import { parseSampleRecord } from './sample-record.js';

/** Which sample of which job. */
export interface SampleRef {
  namespace: string;
  job: string;
  node: string;
  id: string;
}

/** The sidecar written beside each label: who labeled what, how, and when. */
export interface LabelMeta {
  node: string;
  id: string;
  method: LabelMethod;
  labeledAt: string;
  boxes: number;
  /** Model whose predictions were shown (edge model) or used (teacher). */
  modelVersion?: string;
}

export interface SaveResult {
  image: string;
  annotation: string;
  indexLine: string;
}

/** Reads a sample's JSON record; a missing one is `SAMPLE_NOT_FOUND`. */
export async function readSample(store: ObjectStore, bucket: string, ref: SampleRef): Promise<SampleRecord> {
  const key = sampleKey(ref.namespace, ref.job, ref.node, ref.id, 'json');
  let text: string;
  try {
    text = (await store.getBuffer(bucket, key)).toString('utf8');
  } catch (err) {
    if (err instanceof EdgeStlError && err.code === 'OBJECT_NOT_FOUND') {
      throw new EdgeStlError(
        'SAMPLE_NOT_FOUND',
        `no sample ${ref.node}/${ref.id} in ${ref.namespace}/${ref.job}`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
  return parseSampleRecord(text, key);
}

/**
 * A sample's image bytes and their real size, read from the image itself: the size a sample's JSON
 * claims is the agent's word, and box checks and VOC sizes must hold for the file the trainer reads.
 */
export async function readSampleImage(
  store: ObjectStore,
  bucket: string,
  ref: SampleRef,
): Promise<{ bytes: Buffer; width: number; height: number }> {
  const key = sampleKey(ref.namespace, ref.job, ref.node, ref.id, 'jpeg');
  let bytes: Buffer;
  try {
    bytes = await store.getBuffer(bucket, key);
  } catch (err) {
    if (err instanceof EdgeStlError && err.code === 'OBJECT_NOT_FOUND')
      throw new EdgeStlError('SAMPLE_NOT_FOUND', `no image for sample ${ref.node}/${ref.id}`, { cause: err });
    throw err;
  }
  try {
    return { bytes, ...(await imageSize(bytes, key)) };
  } catch (err) {
    if (err instanceof CorruptImageError)
      throw new EdgeStlError('INVALID_SAMPLE', `sample image ${key} is not a readable image`, { cause: err });
    throw err;
  }
}

/**
 * File stem of a labeled sample. Node names cannot hold `_` (they are DNS names), so the first `_`
 * splits it unambiguously: `n-x/1` and `n/x-1` get `n-x_1` and `n_x-1`.
 */
export function labeledStem(node: string, id: string): string {
  return `${node}_${id}`;
}

/**
 * Saves the labels of one sample in the Ianvs layout: the image copied to
 * `labeled/<ns>/<job>/JPEGImages/`, Pascal VOC to `Annotations/`, a sidecar recording the method,
 * then (last, so the index never names a file that is not there) the line in `index.txt`.
 */
export async function saveLabels(
  deps: { store: ObjectStore; bucket: string; index: LabeledIndex },
  ref: SampleRef,
  input: {
    boxes: LabelBox[];
    classes: readonly string[];
    method: LabelMethod;
    modelVersion?: string;
    /** The image as read by the caller (auto-labeling already has it). */
    image?: { bytes: Buffer; width: number; height: number };
  },
): Promise<SaveResult> {
  const { store, bucket } = deps;
  const image = input.image ?? (await readSampleImage(store, bucket, ref));
  const size = { width: image.width, height: image.height };
  assertValidBoxes(input.boxes, size, input.classes);
  const stem = labeledStem(ref.node, ref.id);
  const prefix = labeledPrefix(ref.namespace, ref.job);
  const imageKey = `${prefix}JPEGImages/${stem}.jpeg`;
  const annotation = `${prefix}Annotations/${stem}.xml`;
  const xml = formatVoc({
    filename: `${stem}.jpeg`,
    width: size.width,
    height: size.height,
    depth: 3,
    objects: input.boxes.map((b) => ({
      name: b.class,
      xmin: b.xmin,
      ymin: b.ymin,
      xmax: b.xmax,
      ymax: b.ymax,
    })),
  });
  // Image and annotation are independent; the index line (below) waits for both. The bytes written
  // are the bytes measured, so the VOC size holds even if the sample was replaced meanwhile.
  await Promise.all([
    store.putObject(bucket, imageKey, image.bytes, { contentType: 'image/jpeg' }),
    store.putObject(bucket, annotation, xml, { contentType: 'application/xml' }),
  ]);
  const meta: LabelMeta = {
    node: ref.node,
    id: ref.id,
    method: input.method,
    labeledAt: new Date().toISOString(),
    boxes: input.boxes.length,
    ...(input.modelVersion ? { modelVersion: input.modelVersion } : {}),
  };
  const indexLine = `./JPEGImages/${stem}.jpeg ./Annotations/${stem}.xml`;
  await deps.index.append(ref.namespace, ref.job, indexLine, { store, bucket });
  // The sidecar marks the sample done for the queue; written after the index line it counts.
  await store.putObject(
    bucket,
    labelMetaKey(ref.namespace, ref.job, ref.node, ref.id),
    JSON.stringify(meta),
    {
      contentType: 'application/json',
    },
  );
  return { image: imageKey, annotation, indexLine };
}
