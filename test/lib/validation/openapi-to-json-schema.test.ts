import { describe, expect, it } from '@jest/globals';
import type { OpenApiSchema } from '../../../lib/api/v1alpha1/index.js';
import { toJsonSchema, validateAgainstSchema } from '../../../lib/validation/index.js';

const schema: OpenApiSchema = {
  type: 'object',
  description: 'root',
  properties: {
    metadata: { type: 'object', description: 'meta', properties: { name: { type: 'string' } } },
    port: { 'x-kubernetes-int-or-string': true, description: 'port' },
    ratio: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
    mode: { type: 'string', enum: ['a', 'b'], nullable: true },
    free: {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { known: { type: 'string' } },
    },
    tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
  },
};

describe('toJsonSchema', () => {
  it('translates the OpenAPI v3.0 and Kubernetes keywords', () => {
    const out = toJsonSchema(schema) as {
      properties: Record<string, Record<string, unknown>>;
      additionalProperties: unknown;
    };
    expect(out.additionalProperties).toBe(false);
    expect(out.properties.metadata).toEqual({ type: 'object', description: 'meta' });
    expect(out.properties.port).toEqual({ description: 'port', type: ['integer', 'string'] });
    expect(out.properties.ratio).toEqual({ type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 });
    expect(out.properties.mode).toEqual({ type: ['string', 'null'], enum: ['a', 'b', null] });
    expect(out.properties.free.additionalProperties).toBeUndefined();
    expect(JSON.stringify(out)).not.toContain('x-kubernetes');
  });

  it('gives the apiserver meaning to each', () => {
    expect(
      validateAgainstSchema({ port: 8080, ratio: 0.5, mode: null, free: { x: 1 }, tags: ['a'] }, schema),
    ).toEqual([]);
    expect(validateAgainstSchema({ port: 'http' }, schema)).toEqual([]);
    expect(validateAgainstSchema({ port: true, ratio: 1, tags: ['a', 'a'], other: 1 }, schema)).toEqual([
      { path: 'other', message: 'unknown field (known fields: metadata, port, ratio, mode, free, tags)' },
      { path: 'port', message: 'must be an integer or a string (got true)' },
      { path: 'ratio', message: 'must be < 1 (got 1)' },
      { path: 'tags[1]', message: 'duplicate value "a" (same as [0]); items must be unique' },
    ]);
  });
});
