import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import {
  InvalidJobError,
  assertValidJob,
  semanticChecks,
  validateJob,
  validateYamlText,
  type ValidationError,
} from '../../../lib/validation/index.js';

const fixtures = fileURLToPath(new URL('../../fixtures/invalid/', import.meta.url));
const examples = fileURLToPath(new URL('../../../crds/examples/', import.meta.url));

function errorsOf(file: string): ValidationError[] {
  return validateJob(load(readFileSync(fixtures + file, 'utf8'))).errors;
}

function minimal(): Record<string, unknown> {
  return load(readFileSync(examples + 'minimal.yaml', 'utf8')) as Record<string, unknown>;
}

describe('validateJob rejects each kind of mistake with its path and a pointed message', () => {
  it('wrong types', () => {
    expect(errorsOf('wrong-types.yaml')).toEqual([
      { path: 'spec.dataset.classes', message: 'must be an array (got "Bad_podu")' },
      { path: 'spec.edge.sampling.maxPerMinute', message: 'must be an integer (got "ten")' },
      { path: 'spec.edge.sampling.thresholdBox', message: 'must be a number (got "0.3")' },
      { path: 'spec.runPolicy.suspend', message: 'must be a boolean (got "yes")' },
    ]);
  });

  it('missing required fields', () => {
    expect(errorsOf('missing-required.yaml')).toEqual([
      { path: 'spec.dataset.testIndex', message: 'is required' },
      { path: 'spec.storage', message: 'is required' },
    ]);
  });

  it('bad enums, naming the allowed values', () => {
    expect(errorsOf('bad-enum.yaml')).toEqual([
      { path: 'spec.cleanupPolicy', message: 'must be one of "Retain", "Delete" (got "Keep")' },
      {
        path: 'spec.edge.sampling.strategy',
        message: 'must be one of "ibt", "all", "random", "none" (got "smart")',
      },
      { path: 'spec.evaluation.operator', message: 'must be one of ">=", ">" (got "==")' },
      { path: 'spec.labeling.mode', message: 'must be one of "manual", "auto" (got "semi")' },
    ]);
  });

  it('out-of-range thresholds', () => {
    expect(errorsOf('out-of-range-threshold.yaml')).toEqual([
      { path: 'spec.edge.sampling.thresholdBox', message: 'must be >= 0 (got -0.1)' },
      { path: 'spec.edge.sampling.thresholdImg', message: 'must be <= 1 (got 1.5)' },
    ]);
  });

  it('bad time window: malformed times', () => {
    expect(errorsOf('bad-window.yaml')).toEqual([
      {
        path: 'spec.trigger.window.end',
        message: 'must be a time of day HH:MM, 00:00 to 23:59 (got "7:30")',
      },
      {
        path: 'spec.trigger.window.start',
        message: 'must be a time of day HH:MM, 00:00 to 23:59 (got "25:00")',
      },
    ]);
  });

  it('bad time window: start equals end', () => {
    expect(errorsOf('empty-window.yaml')).toEqual([
      {
        path: 'spec.trigger.window',
        message:
          'start and end are both 22:00: an empty window would never start a round (it may wrap past midnight, e.g. 22:00 to 04:00)',
      },
    ]);
  });

  it('canary without canary nodes', () => {
    expect(errorsOf('bad-canary.yaml')).toEqual([
      { path: 'spec.rollout.canaryNodes', message: 'must be >= 1 (got 0)' },
    ]);
  });

  it('dataset mistakes: URIs, traversal, duplicate and empty classes, zero fraction', () => {
    expect(errorsOf('bad-dataset.yaml')).toEqual([
      {
        path: 'spec.dataset.classes[1]',
        message: 'duplicate value "Bad_podu" (same as [0]); items must be unique',
      },
      { path: 'spec.dataset.classes[2]', message: 'must be at least 1 character long (got "")' },
      {
        path: 'spec.dataset.testIndex',
        message:
          'must not contain "." or ".." path segments (got "s3://edge-stl/datasets/../secrets/index.txt")',
      },
      { path: 'spec.dataset.trainFraction', message: 'must be > 0 (got 0)' },
      {
        path: 'spec.dataset.trainIndex',
        message: 'must be an s3:// URI (s3://bucket/path) (got "/data/pcb-aoi/train_data/index.txt")',
      },
      {
        path: 'spec.initialModel',
        message:
          'must be an s3:// URI of a .zip file (s3://bucket/path/model.zip) (got "s3://edge-stl/models/v0/model.tar")',
      },
    ]);
  });

  it('identity and unknown fields (inline keys are not a field)', () => {
    expect(errorsOf('unknown-and-identity.yaml')).toEqual([
      { path: 'apiVersion', message: 'must be edgestl.io/v1alpha1 (got "edgestl.io/v1")' },
      { path: 'kind', message: 'must be SingleTaskLearningJob (got "SingleTaskJob")' },
      { path: 'metadata.name', message: 'is required' },
      { path: 'spec.storage.accessKey', message: 'unknown field (known fields: bucket, credentialsSecret)' },
    ]);
  });

  it('returns every error of a document at once', () => {
    const doc = minimal();
    const spec = doc.spec as Record<string, Record<string, unknown>>;
    spec.edge = {
      sampling: { strategy: 'x', thresholdImg: 2, maxPerMinute: -1 },
      nodeSelector: { 'edgestl.io/line': 3 },
    };
    spec.trigger = { window: { start: '10:00', end: '10:00' }, checkPeriodSeconds: 0 };
    spec.rollout = { pinVersion: 'latest' };
    expect(validateJob(doc).errors).toEqual([
      { path: 'spec.edge.nodeSelector["edgestl.io/line"]', message: 'must be a string (got 3)' },
      { path: 'spec.edge.sampling.maxPerMinute', message: 'must be >= 0 (got -1)' },
      {
        path: 'spec.edge.sampling.strategy',
        message: 'must be one of "ibt", "all", "random", "none" (got "x")',
      },
      { path: 'spec.edge.sampling.thresholdImg', message: 'must be <= 1 (got 2)' },
      {
        path: 'spec.rollout.pinVersion',
        message: 'must be a model version v<round>, e.g. v3 (got "latest")',
      },
      { path: 'spec.trigger.checkPeriodSeconds', message: 'must be >= 1 (got 0)' },
      {
        path: 'spec.trigger.window',
        message:
          'start and end are both 10:00: an empty window would never start a round (it may wrap past midnight, e.g. 22:00 to 04:00)',
      },
    ]);
  });

  it('rejects a document that is not an object', () => {
    expect(validateJob('hello').errors).toEqual([{ path: '', message: 'must be an object (got "hello")' }]);
  });
});

describe('validateJob handles the Kubernetes schema keywords', () => {
  it('accepts anything under x-kubernetes-preserve-unknown-fields (hyperparameters)', () => {
    const doc = minimal();
    (doc.spec as Record<string, unknown>).algorithm = {
      hyperparameters: { lr: 0.1, nested: { list: [1, 'a'] } },
    };
    expect(validateJob(doc).errors).toEqual([]);
  });

  it('accepts null where the schema says nullable and rejects it elsewhere', () => {
    const doc = minimal();
    doc.status = {
      models: [{ version: 'v0', state: 'Deployed', baselineMetrics: null }],
      edgeNodes: [{ name: 'edge-1', modelVersion: null, targetVersion: null }],
      rollout: { previousVersion: null },
    };
    expect(validateJob(doc).errors).toEqual([]);
    doc.status = { currentModel: null, round: null };
    expect(validateJob(doc).errors).toEqual([
      { path: 'status.currentModel', message: 'must be an object (got null)' },
      { path: 'status.round', message: 'must be an integer (got null)' },
    ]);
  });

  it('enforces x-kubernetes-list-type map keys in status lists', () => {
    const doc = minimal();
    doc.status = {
      conditions: [
        { type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'Ready', status: 'False', lastTransitionTime: 'yesterday' },
      ],
      edgeNodes: [{ name: 'a' }, { name: 'b' }, { name: 'a' }],
    };
    expect(validateJob(doc).errors).toEqual([
      {
        path: 'status.conditions[1]',
        message: 'duplicate entry with type="Ready" (same as [0]); items must be unique',
      },
      {
        path: 'status.conditions[1].lastTransitionTime',
        message: 'must be a valid date-time (got "yesterday")',
      },
      {
        path: 'status.edgeNodes[2]',
        message: 'duplicate entry with name="a" (same as [0]); items must be unique',
      },
    ]);
  });

  it('bounds the model history (maxItems)', () => {
    const doc = minimal();
    doc.status = {
      models: Array.from({ length: 51 }, (_, i) => ({ version: `v${i}`, state: 'Superseded' })),
    };
    expect(validateJob(doc).errors).toEqual([
      { path: 'status.models', message: 'must have at most 50 items' },
    ]);
  });

  it('leaves metadata to the apiserver but checks the name', () => {
    const doc = minimal();
    doc.metadata = { name: 'ok-name', labels: { a: 'b' }, resourceVersion: '12', anything: true };
    expect(validateJob(doc).errors).toEqual([]);
    doc.metadata = { name: 'Bad_Name' };
    expect(validateJob(doc).errors).toEqual([
      {
        path: 'metadata.name',
        message: 'must be a DNS-1123 name: lowercase letters, digits, "-" and "." (got "Bad_Name")',
      },
    ]);
  });
});

describe('semanticChecks', () => {
  it('checks canary nodes even where the schema would not (e.g. a fraction)', () => {
    const doc = minimal();
    (doc.spec as Record<string, unknown>).rollout = { strategy: 'canary', canaryNodes: 1.5 };
    expect(semanticChecks(doc)).toEqual([
      {
        path: 'spec.rollout.canaryNodes',
        message: 'must be a whole number >= 1 with strategy canary (got 1.5)',
      },
    ]);
  });

  it('checks thresholds in [0, 1] on its own', () => {
    const doc = minimal();
    (doc.spec as Record<string, unknown>).edge = {
      sampling: { thresholdImg: -1, thresholdBox: 0.5, randomRate: 3 },
    };
    expect(semanticChecks(doc)).toEqual([
      { path: 'spec.edge.sampling.thresholdImg', message: 'must be within [0, 1] (got -1)' },
      { path: 'spec.edge.sampling.randomRate', message: 'must be within [0, 1] (got 3)' },
    ]);
  });

  it('bounds minImprovement to [-1, 1]: a negative value is a tolerance', () => {
    const withMinImprovement = (v: number) => {
      const doc = minimal();
      (doc.spec as Record<string, unknown>).evaluation = { minImprovement: v };
      return validateJob(doc).errors.map((e) => e.path);
    };
    expect(withMinImprovement(-1)).toEqual([]);
    expect(withMinImprovement(-1.5)).toEqual(['spec.evaluation.minImprovement']);
    expect(withMinImprovement(1.5)).toEqual(['spec.evaluation.minImprovement']);
  });

  it('accepts a window that wraps past midnight', () => {
    const doc = minimal();
    (doc.spec as Record<string, unknown>).trigger = { window: { start: '22:00', end: '04:00' } };
    expect(validateJob(doc).errors).toEqual([]);
  });
});

describe('assertValidJob and validateYamlText', () => {
  it('throws InvalidJobError carrying every error', () => {
    const doc = load(readFileSync(fixtures + 'bad-enum.yaml', 'utf8'));
    let caught: unknown;
    try {
      assertValidJob(doc);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidJobError);
    const err = caught as InvalidJobError;
    expect(err.code).toBe('INVALID_SPEC');
    expect(err.errors).toHaveLength(4);
    expect(err.message).toContain('spec.labeling.mode: must be one of "manual", "auto" (got "semi")');
    expect(() => assertValidJob(minimal())).not.toThrow();
  });

  it('validates each document of a multi-document file', () => {
    const results = validateYamlText(readFileSync(fixtures + 'multi-document.yaml', 'utf8'));
    expect(results).toEqual([
      { document: 1, name: 'first', errors: [] },
      {
        document: 2,
        name: 'second',
        errors: [
          { path: 'spec.rollout.strategy', message: 'must be one of "all", "canary" (got "blue-green")' },
        ],
      },
    ]);
  });

  it('reports YAML syntax errors and empty files', () => {
    // Inline, not a fixture file: a broken YAML file would break `prettier --check .`.
    const [syntax] = validateYamlText('spec:\n  dataset: [unclosed\n', 'yaml-syntax.yaml');
    expect(syntax.errors[0].message).toMatch(/^YAML syntax error: .*yaml-syntax\.yaml/);
    expect(validateYamlText('# nothing\n---\n')).toEqual([
      { document: 1, errors: [{ path: '', message: 'no YAML document found' }] },
    ]);
  });
});
