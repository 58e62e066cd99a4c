import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { EdgeStlError } from '../lib/errors/index.js';

const DetectionSchema = Type.Object({
  class: Type.String(),
  score: Type.Number(),
  box: Type.Object({ xmin: Type.Number(), ymin: Type.Number(), xmax: Type.Number(), ymax: Type.Number() }),
});

/**
 * The part of an edge sample's `<id>.json` that labeling reads: the edge model's detections. The edge agent writes more (job, node, reason, ...); extra fields are ignored. `id` is
 * the sha256 of the image bytes, which is what the oracle matches ground truth by.
 */
export const SampleRecordSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  createdAt: Type.Optional(Type.String()),
  /** What the agent saw; labeling measures the image itself and does not rely on this. */
  image: Type.Optional(
    Type.Object({ width: Type.Integer({ minimum: 1 }), height: Type.Integer({ minimum: 1 }) }),
  ),
  model: Type.Optional(Type.Object({ version: Type.Optional(Type.String()) })),
  detections: Type.Array(DetectionSchema),
});

export type SampleRecord = Static<typeof SampleRecordSchema>;
export type SampleDetection = Static<typeof DetectionSchema>;

/** Parses a sample JSON; a malformed one is an {@link EdgeStlError} `INVALID_SAMPLE` naming its key. */
export function parseSampleRecord(text: string, key: string): SampleRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new EdgeStlError('INVALID_SAMPLE', `sample ${key} is not valid JSON`, { cause: err });
  }
  if (!Value.Check(SampleRecordSchema, value)) {
    const first = [...Value.Errors(SampleRecordSchema, value)][0];
    throw new EdgeStlError(
      'INVALID_SAMPLE',
      `sample ${key} is malformed: ${first?.path ?? ''} ${first?.message ?? ''}`.trim(),
    );
  }
  return value;
}
