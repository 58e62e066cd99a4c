import { jobSchema, schemaAt, type OpenApiSchema } from './crd.js';
import type { DefaultedSingleTaskLearningJobSpec, SingleTaskLearningJobSpec } from './generated-types.js';

/**
 * Applies the `default`s of a structural schema the way the Kubernetes apiserver does: a missing
 * field (or a `null` in a non-nullable field) gets its default, then defaulting descends into objects,
 * array items and map values. Returns a new value; the input is not modified.
 */
export function applySchemaDefaults<T>(schema: OpenApiSchema, value: T): T {
  return defaultNode(schema, structuredClone(value)) as T;
}

function defaultNode(schema: OpenApiSchema, value: unknown): unknown {
  if (Array.isArray(value)) {
    if (schema.items) return value.map((item) => defaultNode(schema.items as OpenApiSchema, item));
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  for (const [prop, sub] of Object.entries(schema.properties ?? {})) {
    if (obj[prop] === null && !sub.nullable) delete obj[prop];
    if (obj[prop] === undefined && sub.default !== undefined) obj[prop] = structuredClone(sub.default);
    if (obj[prop] !== undefined) obj[prop] = defaultNode(sub, obj[prop]);
  }
  const extra = schema.additionalProperties;
  if (typeof extra === 'object') {
    for (const key of Object.keys(obj)) {
      if (!schema.properties?.[key]) obj[key] = defaultNode(extra, obj[key]);
    }
  }
  return obj;
}

/**
 * The spec with every CRD default filled in (what the apiserver stores, and what a job read from a
 * local YAML file lacks). The defaults are read from the CRD itself, so they cannot drift.
 */
export function withDefaults(spec: SingleTaskLearningJobSpec): DefaultedSingleTaskLearningJobSpec {
  return applySchemaDefaults(schemaAt(jobSchema(), 'spec'), spec) as DefaultedSingleTaskLearningJobSpec;
}
