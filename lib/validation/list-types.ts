import type { OpenApiSchema } from '../api/v1alpha1/crd.js';
import { joinPath } from './json-path.js';
import type { ValidationError } from './types.js';

/**
 * Checks `x-kubernetes-list-type` as the apiserver does: a `set` holds no duplicate values, a `map`
 * holds no two items with the same `x-kubernetes-list-map-keys`. Walks the data alongside the schema.
 */
export function checkListTypes(schema: OpenApiSchema, value: unknown, path = ''): ValidationError[] {
  const errors: ValidationError[] = [];
  if (Array.isArray(value)) {
    errors.push(...duplicateItems(schema, value, path));
    if (schema.items)
      value.forEach((item, i) => errors.push(...checkListTypes(schema.items!, item, joinPath(path, i))));
    return errors;
  }
  if (value === null || typeof value !== 'object') return errors;
  const obj = value as Record<string, unknown>;
  for (const [key, child] of Object.entries(obj)) {
    const sub =
      schema.properties?.[key] ??
      (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
    if (sub) errors.push(...checkListTypes(sub, child, joinPath(path, key)));
  }
  return errors;
}

function duplicateItems(schema: OpenApiSchema, items: unknown[], path: string): ValidationError[] {
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== 'set' && listType !== 'map') return [];
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Map<string, number>();
  const errors: ValidationError[] = [];
  items.forEach((item, i) => {
    const identity =
      listType === 'set' ? JSON.stringify(item) : JSON.stringify(keys.map((k) => mapKey(item, k)));
    const first = seen.get(identity);
    if (first === undefined) {
      seen.set(identity, i);
      return;
    }
    const what =
      listType === 'set'
        ? `duplicate value ${JSON.stringify(item)}`
        : `duplicate entry with ${keys.map((k) => `${k}=${JSON.stringify(mapKey(item, k))}`).join(', ')}`;
    errors.push({
      path: joinPath(path, i),
      message: `${what} (same as ${joinPath('', first)}); items must be unique`,
    });
  });
  return errors;
}

function mapKey(item: unknown, key: string): unknown {
  return item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[key] : undefined;
}
