import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import {
  applySchemaDefaults,
  schemaAt,
  jobSchema,
  withDefaults,
  type OpenApiSchema,
  type SingleTaskLearningJob,
} from '../../lib/api/v1alpha1/index.js';
import { validateJob } from '../../lib/validation/index.js';

function example(name: string): SingleTaskLearningJob {
  const file = fileURLToPath(new URL(`../../crds/examples/${name}`, import.meta.url));
  return load(readFileSync(file, 'utf8')) as SingleTaskLearningJob;
}

/** Every (path, default) of the spec schema, reached through objects only. */
function specDefaults(schema: OpenApiSchema, path: string[] = []): Array<[string[], unknown]> {
  return Object.entries(schema.properties ?? {}).flatMap(([k, v]) => [
    ...(v.default !== undefined && typeof v.default !== 'object'
      ? [[[...path, k], v.default] as [string[], unknown]]
      : []),
    ...specDefaults(v, [...path, k]),
  ]);
}

function at(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], value);
}

describe('withDefaults', () => {
  it('fills in every scalar default of the CRD for the minimal job', () => {
    const spec = withDefaults(example('minimal.yaml').spec);
    const expected = specDefaults(schemaAt(jobSchema(), 'spec'));
    expect(expected.length).toBeGreaterThanOrEqual(20);
    for (const [path, value] of expected)
      expect([path.join('.'), at(spec, path)]).toEqual([path.join('.'), value]);
  });

  it('gives the values the issue fixes', () => {
    const spec = withDefaults(example('minimal.yaml').spec);
    expect(spec.algorithm).toEqual({ name: 'FPN', hyperparameters: {} });
    expect(spec.evaluation).toEqual({ metric: 'f1_score', operator: '>=', minImprovement: 0.01 });
    expect(spec.cleanupPolicy).toBe('Retain');
    expect(spec.edge.sampling.strategy).toBe('ibt');
    expect(spec.rollout).toEqual({ strategy: 'all', canaryNodes: 1, soakSeconds: 300, autoRollback: true });
    expect(spec.runPolicy).toEqual({ backoffLimit: 3, maxRounds: 10, suspend: false });
    expect(spec.trigger.window).toBeUndefined();
  });

  it('keeps what the user wrote and does not modify its input', () => {
    const job = example('pcb-aoi.yaml');
    const before = structuredClone(job.spec);
    const spec = withDefaults(job.spec);
    expect(job.spec).toEqual(before);
    expect(spec.edge.sampling).toEqual({
      strategy: 'ibt',
      thresholdImg: 0.9,
      thresholdBox: 0.9,
      maxPerMinute: 30,
      randomRate: 0.1,
    });
    expect(spec.rollout.strategy).toBe('canary');
    expect(spec.labeling.mode).toBe('auto');
  });

  it('defaults array items and replaces a null in a non-nullable field, as the apiserver does', () => {
    const spec = withDefaults({
      ...example('minimal.yaml').spec,
      edge: { tolerations: [{ key: 'edge' }], sampling: null as never },
    });
    expect(spec.edge.tolerations).toEqual([{ key: 'edge', operator: 'Equal' }]);
    expect(spec.edge.sampling.thresholdImg).toBe(0.5);
  });

  it('leaves a null in a nullable field alone', () => {
    const schema: OpenApiSchema = {
      type: 'object',
      properties: {
        a: { type: 'string', nullable: true, default: 'x' },
        b: { type: 'string', default: 'y' },
      },
    };
    expect(applySchemaDefaults(schema, { a: null, b: null })).toEqual({ a: null, b: 'y' });
  });

  it('produces a job that still validates', () => {
    const job = example('minimal.yaml');
    expect(validateJob({ ...job, spec: withDefaults(job.spec) }).errors).toEqual([]);
  });
});
