import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { TrainingJobData } from '../lib/queue/training-queue.js';
import { TrainingInputError } from './training-input-error.js';

const ModelRefSchema = Type.Object({
  version: Type.String({ minLength: 1 }),
  uri: Type.String({ pattern: '^s3://' }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
});

/** JSON schema of {@link TrainingJobData}: the payload is checked before any work starts. */
export const TrainingJobDataSchema = Type.Object({
  namespace: Type.String({ minLength: 1 }),
  job: Type.String({ minLength: 1 }),
  round: Type.Integer({ minimum: 0 }),
  bucket: Type.String({ minLength: 3 }),
  algorithm: Type.Object({
    name: Type.String({ minLength: 1 }),
    hyperparameters: Type.Record(Type.String(), Type.Unknown()),
  }),
  dataset: Type.Object({
    trainIndex: Type.String({ pattern: '^s3://' }),
    testIndex: Type.String({ pattern: '^s3://' }),
    labeledIndex: Type.Optional(Type.String({ pattern: '^s3://' })),
    classes: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    trainFraction: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
    labeledShare: Type.Optional(Type.Number({ minimum: 0, maximum: 0.9 })),
  }),
  baseModel: Type.Optional(ModelRefSchema),
  deployedModel: Type.Optional(ModelRefSchema),
  evaluation: Type.Object({ metric: Type.String({ minLength: 1 }) }),
  checkpoint: Type.Optional(
    Type.Object({ uri: Type.String({ pattern: '^s3://' }), iteration: Type.Integer({ minimum: 0 }) }),
  ),
});

// Fails to compile if the schema and the lib/queue contract drift apart.
const _sameShape: TrainingJobData = {} as Static<typeof TrainingJobDataSchema>;
void _sameShape;

/** Checks a job payload; every problem is listed, with its JSON path, in one {@link TrainingInputError}. */
export function assertTrainingJobData(data: unknown): asserts data is TrainingJobData {
  if (Value.Check(TrainingJobDataSchema, data)) return;
  const problems = [...Value.Errors(TrainingJobDataSchema, data)]
    .slice(0, 10)
    .map((e) => `${e.path || '/'}: ${e.message}`);
  throw new TrainingInputError(`invalid training job payload: ${problems.join('; ')}`);
}
