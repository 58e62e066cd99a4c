import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { load } from 'js-yaml';
import {
  API_VERSION,
  CRD_NAME,
  GROUP,
  KIND,
  LIST_KIND,
  MAX_CONDITIONS,
  MAX_EDGE_NODES,
  MAX_MODEL_HISTORY,
  PLURAL,
  SHORT_NAMES,
  SINGULAR,
  VERSION,
  jobSchema,
  loadCrd,
  schemaAt,
  type OpenApiSchema,
} from '../../lib/api/v1alpha1/index.js';
import { validateAgainstSchema, validateJob } from '../../lib/validation/index.js';

const examplesDir = fileURLToPath(new URL('../../crds/examples/', import.meta.url));

/** Every schema node with its dotted path: properties, array items (`[]`) and map values (`.*`). */
function nodes(schema: OpenApiSchema, path = ''): Array<[string, OpenApiSchema]> {
  const out: Array<[string, OpenApiSchema]> = [[path, schema]];
  for (const [k, v] of Object.entries(schema.properties ?? {}))
    out.push(...nodes(v, path ? `${path}.${k}` : k));
  if (schema.items) out.push(...nodes(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object')
    out.push(...nodes(schema.additionalProperties, `${path}.*`));
  return out;
}

describe('crds/singletasklearningjob.yaml', () => {
  const crd = loadCrd();
  const version = crd.spec.versions[0];

  it('declares the resource as the issue names it', () => {
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.metadata.name).toBe(CRD_NAME);
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toMatchObject({
      kind: KIND,
      listKind: LIST_KIND,
      plural: PLURAL,
      singular: SINGULAR,
      shortNames: [...SHORT_NAMES],
    });
    expect(API_VERSION).toBe('edgestl.io/v1alpha1');
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({
      name: VERSION,
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  it('prints Phase, Ready, Round, Model, Metric, Score and Age, each pointing at a schema field of the right type', () => {
    const columns = version.additionalPrinterColumns ?? [];
    expect(columns.map((c) => [c.name, c.jsonPath])).toEqual([
      ['Phase', '.status.phase'],
      ['Ready', '.status.conditions[?(@.type=="Ready")].status'],
      ['Round', '.status.round'],
      ['Model', '.status.currentModel.version'],
      ['Metric', '.spec.evaluation.metric'],
      ['Score', '.status.currentModel.score'],
      ['Age', '.metadata.creationTimestamp'],
    ]);
    const schema = jobSchema();
    for (const c of columns.filter((x) => x.name !== 'Age')) {
      // A filter (`[?(@.type=="Ready")]`) selects one item of an array.
      const steps = c.jsonPath
        .slice(1)
        .replace(/\[\?\([^)]*\)\]/g, '.[]')
        .split('.');
      let node: OpenApiSchema | undefined = schema;
      for (const step of steps) {
        node =
          step === '[]'
            ? node?.items
            : (node?.properties?.[step] ??
              (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined));
      }
      expect(node?.type).toBe(c.type);
    }
  });

  it('is structural: every node has a type, and no object mixes properties with additionalProperties', () => {
    for (const [path, node] of nodes(jobSchema())) {
      const free = node['x-kubernetes-preserve-unknown-fields'] || node['x-kubernetes-int-or-string'];
      if (!free) expect([path, node.type]).toEqual([path, expect.any(String)]);
      expect([path, Boolean(node.properties && node.additionalProperties)]).toEqual([path, false]);
    }
  });

  it('describes every field for kubectl explain', () => {
    const missing = nodes(jobSchema())
      .filter(([, node]) => !node.description?.trim())
      .map(([path]) => path || '(root)');
    expect(missing).toEqual([]);
  });

  it('has defaults that are valid against their own field schema', () => {
    const withDefault = nodes(jobSchema()).filter(([, n]) => n.default !== undefined);
    expect(withDefault.length).toBeGreaterThan(20);
    for (const [path, node] of withDefault) {
      expect([path, validateAgainstSchema(node.default, node)]).toEqual([path, []]);
    }
  });

  it('gives enums the type of their field and list-map keys that every item must carry', () => {
    for (const [path, node] of nodes(jobSchema())) {
      for (const v of node.enum ?? []) expect([path, typeof v]).toEqual([path, node.type]);
      if (node['x-kubernetes-list-type'] === 'map') {
        const keys = node['x-kubernetes-list-map-keys'] ?? [];
        expect(keys.length).toBeGreaterThan(0);
        for (const k of keys) expect(node.items?.required).toContain(k);
      }
      if (node['x-kubernetes-list-type'] === 'set')
        expect(['string', 'integer', 'number']).toContain(node.items?.type);
    }
  });

  it('bounds the status lists as the constants say', () => {
    const schema = jobSchema();
    expect(schemaAt(schema, 'status.models').maxItems).toBe(MAX_MODEL_HISTORY);
    expect(schemaAt(schema, 'status.conditions').maxItems).toBe(MAX_CONDITIONS);
    expect(schemaAt(schema, 'status.edgeNodes').maxItems).toBe(MAX_EDGE_NODES);
    expect(schemaAt(schema, 'status.conditions')['x-kubernetes-list-map-keys']).toEqual(['type']);
  });

  it('has the operator fields rollout.pinVersion and cleanupPolicy (Retain|Delete, default Retain)', () => {
    const schema = jobSchema();
    expect(schemaAt(schema, 'spec.rollout.pinVersion')).toMatchObject({
      type: 'string',
      pattern: '^v[0-9]+$',
    });
    expect(schemaAt(schema, 'spec.cleanupPolicy')).toMatchObject({
      enum: ['Retain', 'Delete'],
      default: 'Retain',
    });
  });

  it('keeps credentials out of the spec: storage holds only a Secret name', () => {
    expect(Object.keys(schemaAt(jobSchema(), 'spec.storage').properties ?? {})).toEqual([
      'bucket',
      'credentialsSecret',
    ]);
  });
});

describe('crds/examples', () => {
  const files = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml'));

  it('holds the PCB-AoI job and a minimal one', () => {
    expect(files).toEqual(expect.arrayContaining(['pcb-aoi.yaml', 'minimal.yaml']));
  });

  it.each(files)('%s is a valid SingleTaskLearningJob', (file) => {
    const doc = load(readFileSync(examplesDir + file, 'utf8'));
    expect(validateJob(doc)).toEqual({ valid: true, errors: [] });
  });

  it('pcb-aoi.yaml is the PCB-AoI job: FPN, the two defect classes, IBT, auto labels, canary', () => {
    const doc = load(readFileSync(examplesDir + 'pcb-aoi.yaml', 'utf8')) as {
      spec: Record<string, Record<string, unknown>>;
    };
    expect(doc.spec.algorithm.name).toBe('FPN');
    expect(doc.spec.dataset).toMatchObject({
      trainIndex: 's3://edge-stl/datasets/pcb-aoi/train_data/index.txt',
      testIndex: 's3://edge-stl/datasets/pcb-aoi/test_data/index.txt',
      classes: ['Bad_podu', 'Bad_qiaojiao'],
    });
    expect(doc.spec.edge.sampling).toMatchObject({ strategy: 'ibt' });
    expect(doc.spec.labeling.mode).toBe('auto');
    expect(doc.spec.rollout).toMatchObject({ strategy: 'canary', canaryNodes: 1, autoRollback: true });
  });
});
