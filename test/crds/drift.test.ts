import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import {
  GENERATED_PATH,
  OBJECT_NAMES,
  generateTypesSource,
  renderTypes,
} from '../../lib/api/v1alpha1/codegen.js';
import { jobSchema, loadCrd, type OpenApiSchema } from '../../lib/api/v1alpha1/crd.js';
import type { SingleTaskLearningJob } from '../../lib/api/v1alpha1/index.js';
import { validateJob } from '../../lib/validation/index.js';

const crdFile = fileURLToPath(new URL('../../crds/singletasklearningjob.yaml', import.meta.url));

/**
 * A job with every field of the schema set. Typed as SingleTaskLearningJob, so `npm run typecheck`
 * rejects a field the types lack; the test below rejects a schema field missing here. Together with
 * the generated-file check, a field added on one side only fails.
 */
const EXEMPLAR: SingleTaskLearningJob = {
  apiVersion: 'edgestl.io/v1alpha1',
  kind: 'SingleTaskLearningJob',
  metadata: { name: 'exemplar', namespace: 'default', generation: 3 },
  spec: {
    algorithm: { name: 'FPN', hyperparameters: { learning_rate: 0.1 } },
    dataset: {
      trainIndex: 's3://edge-stl/datasets/pcb-aoi/train_data/index.txt',
      testIndex: 's3://edge-stl/datasets/pcb-aoi/test_data/index.txt',
      classes: ['Bad_podu', 'Bad_qiaojiao'],
      trainFraction: 0.3,
      labeledShare: 0.5,
    },
    initialModel: 's3://edge-stl/models/default/exemplar/v0/model.zip',
    storage: { bucket: 'edge-stl', credentialsSecret: 'edge-stl-s3' },
    edge: {
      nodeSelector: { 'edgestl.io/line': 'pcb' },
      tolerations: [
        { key: 'edge', operator: 'Equal', value: 'true', effect: 'NoSchedule', tolerationSeconds: 60 },
      ],
      sampling: { strategy: 'ibt', thresholdImg: 0.9, thresholdBox: 0.9, randomRate: 0.1, maxPerMinute: 30 },
    },
    labeling: { mode: 'auto' },
    trigger: { minNewSamples: 20, window: { start: '22:00', end: '06:00' }, checkPeriodSeconds: 30 },
    evaluation: { metric: 'f1_score', operator: '>=', minImprovement: 0.01 },
    rollout: { strategy: 'canary', canaryNodes: 1, soakSeconds: 60, autoRollback: true, pinVersion: 'v1' },
    runPolicy: { backoffLimit: 3, activeDeadlineSeconds: 3600, maxRounds: 5, suspend: false },
    cleanupPolicy: 'Delete',
  },
  status: {
    phase: 'Serving',
    round: 1,
    observedGeneration: 3,
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Serving',
        message: 'serving v1',
        lastTransitionTime: '2026-01-01T00:00:00Z',
        observedGeneration: 3,
      },
    ],
    currentModel: {
      version: 'v1',
      uri: 's3://edge-stl/models/default/exemplar/v1/model.zip',
      sha256: 'a'.repeat(64),
      metrics: { f1_score: 0.8 },
      score: 0.8,
      deployedAt: '2026-01-01T00:00:00Z',
    },
    models: [
      {
        version: 'v1',
        round: 1,
        uri: 's3://edge-stl/models/default/exemplar/v1/model.zip',
        sha256: 'a'.repeat(64),
        metrics: { f1_score: 0.8 },
        baselineMetrics: { f1_score: 0.7 },
        state: 'Deployed',
        reason: 'f1_score 0.8 >= 0.7 + 0.01',
        trainSeconds: 12.5,
        labeledSamples: 20,
        createdAt: '2026-01-01T00:00:00Z',
      },
    ],
    edgeNodes: [
      {
        name: 'edge-1',
        state: 'Online',
        modelVersion: 'v1',
        targetVersion: 'v1',
        modelState: 'Loaded',
        canary: true,
        lastSeen: '2026-01-01T00:00:00Z',
        samplesQueued: 0,
        samplesUploaded: 12,
        inferences: 100,
        inferenceErrors: 0,
        message: '',
      },
    ],
    samples: { uploaded: 12, labeled: 12, used: 12 },
    training: {
      round: 1,
      jobId: 'default.exemplar.0c5bd0a4-44f4-4a39-a3a8-6b1e0c9b5d21.r1.g3',
      generation: 3,
      specDigest: 'd4b3',
      cancelRequestedAt: '2026-01-01T00:00:00Z',
      state: 'Completed',
      attempts: 1,
      failures: 0,
      startedAt: '2026-01-01T00:00:00Z',
      message: 'done',
    },
    rollout: {
      targetVersion: 'v1',
      previousVersion: 'v0',
      phase: 'Completed',
      canaryNodes: ['edge-1'],
      startedAt: '2026-01-01T00:00:00Z',
      healthySince: '2026-01-01T00:00:00Z',
      message: 'all nodes loaded v1',
    },
    startTime: '2026-01-01T00:00:00Z',
    completionTime: '2026-01-02T00:00:00Z',
  },
};

/** Every field path of the schema; free maps and metadata count as leaves. */
function schemaPaths(schema: OpenApiSchema, path = ''): string[] {
  if (path === 'metadata') return [path];
  if (schema.type === 'array' && schema.items)
    return [path, ...schemaPaths(schema.items, `${path}[]`).slice(1)];
  if (!schema.properties) return path ? [path] : [];
  const own = path ? [path] : [];
  return [
    ...own,
    ...Object.entries(schema.properties).flatMap(([k, v]) => schemaPaths(v, path ? `${path}.${k}` : k)),
  ].filter((p, i, all) => all.indexOf(p) === i);
}

function valuePaths(schema: OpenApiSchema, value: unknown, path = ''): string[] {
  if (path === 'metadata') return [path];
  if (Array.isArray(value) && schema.items) {
    return [path, ...value.flatMap((v) => valuePaths(schema.items!, v, `${path}[]`).slice(1))];
  }
  if (!schema.properties || value === null || typeof value !== 'object') return path ? [path] : [];
  const own = path ? [path] : [];
  const nested = Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    valuePaths(schema.properties?.[k] ?? {}, v, path ? `${path}.${k}` : k),
  );
  return [...new Set([...own, ...nested])];
}

describe('CRD and TypeScript types cannot drift', () => {
  it('generated-types.ts is what the codegen makes from the CRD today', async () => {
    const expected = await generateTypesSource();
    const actual = readFileSync(GENERATED_PATH, 'utf8');
    if (actual !== expected) {
      throw new Error(
        'lib/api/v1alpha1/generated-types.ts is stale: run `node --import tsx lib/api/v1alpha1/codegen.ts --write`',
      );
    }
    expect(actual).toBe(expected);
  });

  it('adding a field to the CRD only changes the generated types (so the check above would fail)', () => {
    const crd = load(readFileSync(crdFile, 'utf8')) as ReturnType<typeof loadCrd>;
    const schema = crd.spec.versions[0].schema.openAPIV3Schema;
    const before = renderTypes(schema);
    schema.properties!.spec.properties!.rollout.properties!.maxSurge = { type: 'integer', description: 'x' };
    const after = renderTypes(schema);
    expect(after).not.toBe(before);
    expect(after).toContain('maxSurge?: number;');
  });

  it('the codegen refuses an object it has no TypeScript name for', () => {
    const crd = load(readFileSync(crdFile, 'utf8')) as ReturnType<typeof loadCrd>;
    const schema = crd.spec.versions[0].schema.openAPIV3Schema;
    schema.properties!.spec.properties!.extra = { type: 'object', description: 'x', properties: {} };
    expect(() => renderTypes(schema)).toThrow('name the object at "spec.extra" in OBJECT_NAMES');
  });

  it('every named object path exists in the schema', () => {
    const paths = new Set(schemaPaths(jobSchema()));
    for (const path of Object.keys(OBJECT_NAMES).filter(Boolean)) {
      expect(paths.has(path.replace(/\[\]$/, ''))).toBe(true);
    }
  });

  it('the typed exemplar sets every schema field, and nothing the schema lacks', () => {
    const schema = jobSchema();
    expect(valuePaths(schema, EXEMPLAR).sort()).toEqual(schemaPaths(schema).sort());
  });

  it('the typed exemplar is valid against the CRD', () => {
    expect(validateJob(EXEMPLAR).errors).toEqual([]);
  });
});
