import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHART_DIR, helm, renderChart, templateArgs, validateObject, type K8sObject } from './chart.js';

interface SchemaNode {
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  $ref?: string;
  items?: SchemaNode;
}

const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as SchemaNode & {
  $defs: Record<string, SchemaNode>;
};

/** Paths of objects with declared properties that still accept unknown keys, and of properties without a description. */
function audit(node: SchemaNode, path: string, out: { open: string[]; undescribed: string[] }): void {
  if (node.properties) {
    if (node.additionalProperties !== false) out.open.push(path || '(root)');
    for (const [key, child] of Object.entries(node.properties)) {
      const p = path ? `${path}.${key}` : key;
      if (!child.description) out.undescribed.push(p);
      const target = child.$ref ? schema.$defs[child.$ref.replace('#/$defs/', '')] : child;
      audit(target, p, out);
    }
  }
}

describe('values.schema.json', () => {
  it('is strict (additionalProperties: false on every declared object) and describes every value', () => {
    const out = { open: [] as string[], undescribed: [] as string[] };
    audit(schema, '', out);
    expect(out).toEqual({ open: [], undescribed: [] });
  });

  it('declares every key of values.yaml (the defaults validate)', async () => {
    expect((await helm(['lint', '--strict', CHART_DIR])).code).toBe(0);
  });

  it.each([
    ['a misspelled top-level key', 'edgeAgnet.port=9000', 'edgeAgnet'],
    ['a misspelled nested key', 'edgeAgent.hostnetwork=true', 'hostnetwork'],
    ['a misspelled key deep in the tree', 'trainer.gpu.cuont=2', 'cuont'],
  ])('rejects %s', async (_label, set, key) => {
    const result = await helm(templateArgs({ set: [set] }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toContain(key);
  });

  it.each([
    ['three operator replicas', 'operator.replicas=3'],
    ['an unknown storage type', 'edgeAgent.storage.type=nfs'],
    ['a relative hostPath', 'edgeAgent.storage.hostPath=var/lib'],
    ['an endpoint without a scheme', 'objectStore.endpoint=minio:9000'],
    ['an unknown trainer backend', 'trainer.backend=webgl'],
    ['a bucket name S3 refuses', 'objectStore.bucket=Edge_STL'],
  ])('rejects %s', async (_label, set) => {
    const result = await helm(templateArgs({ set: [set] }));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
  });
});

describe('kubernetes-models validation (the validator the render tests rely on)', () => {
  it('rejects a broken workload and a broken CRD', async () => {
    const objects = await renderChart();
    const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment')!) as K8sObject;
    deployment.spec.replicas = 'two';
    await expect(validateObject(deployment)).rejects.toThrow(/Deployment\/edge-stl-\w+ is invalid/);
    const crd = structuredClone(objects.find((o) => o.kind === 'CustomResourceDefinition')!) as K8sObject;
    crd.spec.scope = 42;
    await expect(validateObject(crd)).rejects.toThrow(
      /CustomResourceDefinition\/singletasklearningjobs.edgestl.io is invalid/,
    );
  });

  it('refuses kinds it has no schema for instead of passing them', async () => {
    await expect(
      validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }),
    ).rejects.toThrow(/no kubernetes-models schema/);
  });
});
