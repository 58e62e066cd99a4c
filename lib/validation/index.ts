export { validateJob, validateAgainstSchema, assertValidJob } from './validate-job.js';
export { InvalidJobError, formatErrors } from './invalid-job-error.js';
export { toJsonSchema, type JsonSchema } from './openapi-to-json-schema.js';
export { checkListTypes } from './list-types.js';
export { semanticChecks, parseHhMm } from './semantic-checks.js';
export { joinPath, pointerToPath, displayPath } from './json-path.js';
export { ROOT_PATH, type ValidationError, type ValidationResult } from './types.js';
export { validateYamlText, type DocumentResult } from './validate-yaml.js';
