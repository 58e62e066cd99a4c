import type { ErrorObject } from 'ajv';
import { joinPath, pointerToPath } from './json-path.js';
import type { ValidationError } from './types.js';

/** Plain-words explanations of the CRD's patterns, so a user is not shown a regular expression. */
const PATTERN_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/^\^s3:.*\\\.zip\$$/, 'must be an s3:// URI of a .zip file (s3://bucket/path/model.zip)'],
  [/^\^s3:/, 'must be an s3:// URI (s3://bucket/path)'],
  [/^\^\(\[01\]/, 'must be a time of day HH:MM, 00:00 to 23:59'],
  [/^\^v\[0-9\]/, 'must be a model version v<round>, e.g. v3'],
  [/^\^\[0-9a-f\]\{64\}/, 'must be 64 lowercase hex digits (a sha256)'],
  [/^\^\[a-z0-9\]\(\[-a-z0-9\]/, 'must be a DNS-1123 name: lowercase letters, digits, "-" and "."'],
  [/^\^\[a-z0-9\]\[a-z0-9\.-\]/, 'must be a bucket name: 3-63 lowercase letters, digits, "." and "-"'],
  [/^\^\[A-Za-z\]\[A-Za-z0-9_/, 'must start with a letter and hold only letters, digits, "_", "." and "-"'],
];

/** A short rendering of the offending value for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function typeName(type: unknown): string {
  const list = Array.isArray(type) ? type : String(type).split(',');
  const names = list.map((t) => (t === 'null' ? 'null' : t === 'integer' ? 'an integer' : `a ${t}`));
  return names.join(' or ').replace(/\ba (array|object|integer)/g, 'an $1');
}

/** Turns one ajv error (run with `verbose: true`) into a path and a pointed message. */
export function ajvErrorToValidationError(err: ErrorObject, root: unknown): ValidationError {
  const base = pointerToPath(err.instancePath, root);
  const got = ` (got ${describeValue(err.data)})`;
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { path: joinPath(base, String(p.missingProperty)), message: 'is required' };
    case 'additionalProperties': {
      const allowed = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
      return {
        path: joinPath(base, String(p.additionalProperty)),
        message: `unknown field${allowed.length ? ` (known fields: ${allowed.join(', ')})` : ''}`,
      };
    }
    case 'type':
      return { path: base, message: `must be ${typeName(p.type)}${got}` };
    case 'enum':
      return {
        path: base,
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${got}`,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path: base, message: `must be ${String(p.comparison)} ${String(p.limit)}${got}` };
    case 'minLength':
      return {
        path: base,
        message: `must be at least ${String(p.limit)} character${p.limit === 1 ? '' : 's'} long${got}`,
      };
    case 'maxLength':
      return { path: base, message: `must be at most ${String(p.limit)} characters long` };
    case 'minItems':
      return { path: base, message: `must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { path: base, message: `must have at most ${String(p.limit)} items` };
    case 'pattern': {
      const pattern = String(p.pattern);
      const hint = PATTERN_HINTS.find(([re]) => re.test(pattern))?.[1] ?? `must match ${pattern}`;
      return { path: base, message: `${hint}${got}` };
    }
    case 'format':
      return { path: base, message: `must be a valid ${String(p.format)}${got}` };
    default:
      return { path: base, message: `${err.message ?? 'is invalid'}${got}` };
  }
}
