import { Type } from '@sinclair/typebox';
import { EdgeStlError } from '../errors/index.js';

/**
 * Names that arrive over the wire (job keys, node names, sample ids) become S3 keys and file names.
 * They are checked against these patterns at every boundary, so `..`, `/` and `_` never reach a
 * path. `_` is in none of them: it is free to join names into one file stem without collisions.
 */

/** A Kubernetes namespace: an RFC 1123 label. */
export const NAMESPACE_PATTERN = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
/** A job (custom resource) or node name: an RFC 1123 subdomain. It never starts or ends with a dot. */
export const OBJECT_NAME_PATTERN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
/** A sample id (the agent uses the image's sha256): letters, digits, `-` and `.`, starting alnum. */
export const SAMPLE_ID_PATTERN = '^[A-Za-z0-9][-A-Za-z0-9.]{0,127}$';

/** An S3 bucket name (lower case, digits, `-` and `.`). */
export const BUCKET_PATTERN = '^[a-z0-9][-a-z0-9.]{0,62}$';

export const BucketName = Type.String({ pattern: BUCKET_PATTERN });
export const NamespaceName = Type.String({ pattern: NAMESPACE_PATTERN, maxLength: 63 });
export const ObjectName = Type.String({ pattern: OBJECT_NAME_PATTERN, maxLength: 253 });
export const SampleId = Type.String({ pattern: SAMPLE_ID_PATTERN, maxLength: 128 });

/** A name that failed its pattern: a client error, never a path. */
export class InvalidNameError extends EdgeStlError {
  constructor(kind: string, value: string) {
    super('INVALID_NAME', `invalid ${kind} ${JSON.stringify(value.slice(0, 80))}`);
  }
}

const CHECKS = {
  namespace: new RegExp(NAMESPACE_PATTERN),
  'job name': new RegExp(OBJECT_NAME_PATTERN),
  'node name': new RegExp(OBJECT_NAME_PATTERN),
  'sample id': new RegExp(SAMPLE_ID_PATTERN),
} as const;

export type NameKind = keyof typeof CHECKS;

/** True when `value` is a valid name of `kind`. */
export function isValidName(kind: NameKind, value: unknown): value is string {
  return typeof value === 'string' && value.length <= 253 && CHECKS[kind].test(value);
}

/** Returns `value`, or throws {@link InvalidNameError}. */
export function assertName(kind: NameKind, value: unknown): string {
  if (!isValidName(kind, value)) throw new InvalidNameError(kind, String(value));
  return value;
}

/** Checks a job key's namespace and name. */
export function assertJobKey(job: { namespace: unknown; name: unknown }): void {
  assertName('namespace', job.namespace);
  assertName('job name', job.name);
}
