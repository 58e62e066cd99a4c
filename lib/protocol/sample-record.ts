import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Detection } from './detection.js';
import { JobKey } from './heartbeat.js';
import { ObjectName, SampleId } from './names.js';

/**
 * The JSON stored beside each sample the agent keeps and uploaded as `samples/.../<id>.json`: the
 * agent writes it, its outbox reads it back after a restart, and labeling reads the edge model's
 * detections from it. Fields added later are allowed (an older reader ignores them).
 */
export const SampleRecord = Type.Object({
  /** sha256 of the image bytes as received: the same image always gets the same id and key. */
  id: SampleId,
  job: JobKey,
  node: ObjectName,
  /** Bucket the sample goes to, fixed when it is kept. */
  bucket: Type.String({ minLength: 1 }),
  createdAt: Type.String(),
  /** The model that made the detections: its job key and version. */
  model: Type.Object({ job: Type.String(), version: Type.String() }),
  /** Why the sampler kept the image. */
  reason: Type.String(),
  /** What the agent saw; labeling measures the image itself and does not rely on this. */
  image: Type.Object({
    width: Type.Integer({ minimum: 1 }),
    height: Type.Integer({ minimum: 1 }),
    format: Type.String(),
  }),
  detections: Type.Array(Detection),
});
export type SampleRecord = Static<typeof SampleRecord>;

/** Why `value` is not a {@link SampleRecord} (its first problem), or undefined when it is one. */
export function sampleRecordProblem(value: unknown): string | undefined {
  if (Value.Check(SampleRecord, value)) return undefined;
  const first = Value.Errors(SampleRecord, value).First();
  return `${first?.path || '/'} ${first?.message ?? 'is invalid'}`;
}
