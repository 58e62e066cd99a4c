import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { jobSchema, type OpenApiSchema } from '../api/v1alpha1/crd.js';
import type { SingleTaskLearningJob } from '../api/v1alpha1/generated-types.js';
import { ajvErrorToValidationError } from './ajv-messages.js';
import { InvalidJobError } from './invalid-job-error.js';
import { checkListTypes } from './list-types.js';
import { toJsonSchema } from './openapi-to-json-schema.js';
import { semanticChecks } from './semantic-checks.js';
import type { ValidationError, ValidationResult } from './types.js';

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, whose `default` is the plugin.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const formatsExports = addFormatsModule as unknown as FormatsPlugin & { default?: FormatsPlugin };
const addFormats: FormatsPlugin = formatsExports.default ?? formatsExports;

const compiled = new WeakMap<OpenApiSchema, ValidateFunction>();

function validatorFor(schema: OpenApiSchema): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    // verbose: errors carry the data and parent schema, which the messages quote.
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, logger: false });
    addFormats(ajv);
    validate = ajv.compile(toJsonSchema(schema));
    compiled.set(schema, validate);
  }
  return validate;
}

/**
 * Validates a document against a CRD `openAPIV3Schema` (default: the SingleTaskLearningJob's), as the
 * apiserver would: types, required fields, enums, bounds, patterns, formats, unknown fields and
 * list types. Returns every error. Used by `validateJob` and by anything that plays apiserver.
 */
export function validateAgainstSchema(doc: unknown, schema: OpenApiSchema = jobSchema()): ValidationError[] {
  const validate = validatorFor(schema);
  const ajvErrors = validate(doc) ? [] : (validate.errors ?? []);
  // A wrong type hides the other complaints about the same path (an enum check on a number that
  // should have been a string says nothing new).
  const mistyped = new Set(ajvErrors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const kept = ajvErrors.filter((e) => e.keyword === 'type' || !mistyped.has(e.instancePath));
  const errors = kept.map((e) => ajvErrorToValidationError(e, doc));
  errors.push(...checkListTypes(schema, doc));
  return dedupe(errors);
}

/**
 * Validates a SingleTaskLearningJob: the CRD's own schema plus the semantic checks (identity, time
 * window, canary, thresholds, s3:// URIs, classes). Returns every error with its JSON path; a
 * semantic error is left out when the schema already reported that path.
 */
export function validateJob(doc: unknown): ValidationResult {
  const schemaErrors = validateAgainstSchema(doc);
  const reported = new Set(schemaErrors.map((e) => e.path));
  const semantic = semanticChecks(doc).filter((e) => !reported.has(e.path));
  const errors = sortByPath([...schemaErrors, ...semantic]);
  return { valid: errors.length === 0, errors };
}

/** Throws `InvalidJobError` listing every problem unless the document is a valid job. */
export function assertValidJob(doc: unknown): asserts doc is SingleTaskLearningJob {
  const { valid, errors } = validateJob(doc);
  if (!valid) throw new InvalidJobError(errors);
}

/** One error per path and message. */
function dedupe(errors: ValidationError[]): ValidationError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortByPath(errors: ValidationError[]): ValidationError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.path === b.e.path ? a.i - b.i : a.e.path < b.e.path ? -1 : 1))
    .map(({ e }) => e);
}
