import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { EdgeStlError } from '../../errors/index.js';

/**
 * The subset of OpenAPI v3 (apiextensions.k8s.io/v1 `JSONSchemaProps`) that the CRD uses, including
 * the Kubernetes `x-kubernetes-*` extensions. Structural: every node has a `type` unless it carries
 * `x-kubernetes-int-or-string` or `x-kubernetes-preserve-unknown-fields`.
 */
export interface OpenApiSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  additionalProperties?: OpenApiSchema | boolean;
  items?: OpenApiSchema;
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  /** OpenAPI v3.0 boolean form: `minimum` itself is excluded. */
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  anyOf?: OpenApiSchema[];
  allOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
  not?: OpenApiSchema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string }>;
}

/** One served version of the CRD. */
export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: OpenApiSchema };
  subresources?: { status?: Record<string, never> };
  additionalPrinterColumns?: Array<{ name: string; type: string; jsonPath: string; description?: string }>;
}

/** The `CustomResourceDefinition` object as the YAML holds it. */
export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels?: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CrdVersion[];
  };
}

const CRD_FILE = 'singletasklearningjob.yaml';

/**
 * Absolute path of `crds/singletasklearningjob.yaml`. Found relative to this module so it works from
 * the sources (`lib/api/v1alpha1`) and from the build (`dist/lib/api/v1alpha1`).
 */
export function crdPath(): string {
  const candidates = ['../../../crds/', '../../../../crds/'].map((dir) =>
    fileURLToPath(new URL(dir + CRD_FILE, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new EdgeStlError(
      'CRD_NOT_FOUND',
      `cannot find crds/${CRD_FILE} (looked in ${candidates.join(', ')})`,
    );
  }
  return found;
}

/** Parses a CRD YAML text; exported so tools can check a CRD other than the installed one. */
export function parseCrd(text: string): CustomResourceDefinition {
  const doc = load(text, { filename: 'singletasklearningjob.yaml' }) as CustomResourceDefinition | undefined;
  if (!doc || doc.kind !== 'CustomResourceDefinition' || !Array.isArray(doc.spec?.versions)) {
    throw new EdgeStlError('CRD_INVALID', 'the CRD file does not hold a CustomResourceDefinition');
  }
  return doc;
}

let cached: CustomResourceDefinition | undefined;

/** The SingleTaskLearningJob CRD, read once from `crds/` and cached. Treat it as read-only. */
export function loadCrd(): CustomResourceDefinition {
  cached ??= parseCrd(readFileSync(crdPath(), 'utf8'));
  return cached;
}

/** The `openAPIV3Schema` of a version (default: the storage version) of the CRD. */
export function jobSchema(crd: CustomResourceDefinition = loadCrd(), version?: string): OpenApiSchema {
  const v = crd.spec.versions.find((x) => (version ? x.name === version : x.storage));
  if (!v) throw new EdgeStlError('CRD_INVALID', `the CRD has no version ${version ?? '(storage)'}`);
  return v.schema.openAPIV3Schema;
}

/** Sub-schema at a dotted path such as `spec.edge.sampling` (`[]` steps into array items). */
export function schemaAt(root: OpenApiSchema, path: string): OpenApiSchema {
  let node: OpenApiSchema | undefined = root;
  for (const step of path.split('.').filter(Boolean)) {
    const isItems = step.endsWith('[]');
    node = node?.properties?.[isItems ? step.slice(0, -2) : step];
    if (isItems) node = node?.items;
  }
  if (!node) throw new EdgeStlError('CRD_INVALID', `the CRD schema has no field ${path}`);
  return node;
}
