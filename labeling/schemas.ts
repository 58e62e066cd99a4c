import { Type, type Static } from '@sinclair/typebox';
import { Detection } from '../lib/protocol/detection.js';
import { NamespaceName, ObjectName, SampleId } from '../lib/protocol/names.js';
import { LabelBoxSchema } from './label-box.js';

export const JobParams = Type.Object({ ns: NamespaceName, job: ObjectName });
export const SampleParams = Type.Object({
  ns: NamespaceName,
  job: ObjectName,
  node: ObjectName,
  id: SampleId,
});
export type JobParams = Static<typeof JobParams>;
export type SampleParams = Static<typeof SampleParams>;

export const LoginBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;
export const LoginReply = Type.Object({ ok: Type.Boolean() });

export const JobsReply = Type.Object({
  jobs: Type.Array(
    Type.Object({
      namespace: Type.String(),
      job: Type.String(),
      classes: Type.Array(Type.String()),
      mode: Type.String(),
    }),
  ),
});

export const SamplesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});
export type SamplesQuery = Static<typeof SamplesQuery>;

export const SamplesReply = Type.Object({
  classes: Type.Array(Type.String()),
  counts: Type.Object({ total: Type.Integer(), labeled: Type.Integer(), pending: Type.Integer() }),
  samples: Type.Array(Type.Object({ node: Type.String(), id: Type.String(), uploadedAt: Type.String() })),
});

export const SampleReply = Type.Object({
  node: Type.String(),
  id: Type.String(),
  image: Type.Object({ width: Type.Integer(), height: Type.Integer() }),
  detections: Type.Array(Detection),
  modelVersion: Type.String(),
  createdAt: Type.String(),
  classes: Type.Array(Type.String()),
});

export const LabelsBody = Type.Object(
  { boxes: Type.Array(LabelBoxSchema, { maxItems: 1000 }) },
  { additionalProperties: false },
);
export type LabelsBody = Static<typeof LabelsBody>;

export const LabelsReply = Type.Object({
  image: Type.String(),
  annotation: Type.String(),
  indexLine: Type.String(),
});
