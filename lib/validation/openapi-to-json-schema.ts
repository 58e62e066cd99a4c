import type { OpenApiSchema } from '../api/v1alpha1/crd.js';

/** A JSON Schema (draft-07) object as ajv takes it. */
export type JsonSchema = Record<string, unknown>;

/** Keywords of a Kubernetes structural schema that JSON Schema does not know. */
const KUBERNETES_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
  'nullable',
] as const;

/**
 * Converts a CRD `openAPIV3Schema` to the JSON Schema ajv validates with, keeping the apiserver's
 * meaning:
 * - objects with `properties` reject unknown fields (as `kubectl apply` with strict field validation
 *   does), unless `x-kubernetes-preserve-unknown-fields`;
 * - `nullable: true` adds `null` to the type;
 * - OpenAPI v3.0 boolean `exclusiveMinimum`/`exclusiveMaximum` become draft-07 numbers;
 * - `x-kubernetes-int-or-string` becomes `type: [integer, string]`;
 * - `x-kubernetes-list-type`/`-list-map-keys` are dropped here and checked by `checkListTypes`.
 * `metadata` at the root stays open: the apiserver validates it, not the CRD schema.
 */
export function toJsonSchema(schema: OpenApiSchema, atRoot = true): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((KUBERNETES_KEYWORDS as readonly string[]).includes(key)) continue;
    switch (key) {
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, OpenApiSchema>).map(([k, v]) => [k, toJsonSchema(v, false)]),
        );
        break;
      case 'items':
        out.items = toJsonSchema(value as OpenApiSchema, false);
        break;
      case 'additionalProperties':
        out.additionalProperties =
          typeof value === 'boolean' ? value : toJsonSchema(value as OpenApiSchema, false);
        break;
      case 'anyOf':
      case 'allOf':
      case 'oneOf':
        out[key] = (value as OpenApiSchema[]).map((s) => toJsonSchema(s, false));
        break;
      case 'not':
        out.not = toJsonSchema(value as OpenApiSchema, false);
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        break; // handled with minimum/maximum below
      default:
        out[key] = value;
    }
  }
  convertExclusiveBounds(schema, out);
  if (schema['x-kubernetes-int-or-string']) {
    out.type = ['integer', 'string'];
  }
  if (schema.type === 'object' && schema.properties && !schema['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  if (schema.nullable) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  if (atRoot && out.properties && typeof out.properties === 'object') {
    const props = out.properties as Record<string, JsonSchema>;
    if (props.metadata) props.metadata = { type: 'object', description: props.metadata.description };
  }
  return out;
}

function convertExclusiveBounds(schema: OpenApiSchema, out: JsonSchema): void {
  if (schema.exclusiveMinimum && schema.minimum !== undefined) {
    delete out.minimum;
    out.exclusiveMinimum = schema.minimum;
  }
  if (schema.exclusiveMaximum && schema.maximum !== undefined) {
    delete out.maximum;
    out.exclusiveMaximum = schema.maximum;
  }
}
