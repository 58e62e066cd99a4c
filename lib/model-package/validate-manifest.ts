import { MODEL_MANIFEST_FORMAT, type ModelManifest } from './manifest.js';
import { ModelPackageError } from './model-package-error.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Checks that `value` is a {@link ModelManifest} of a format this version reads. Throws
 * {@link ModelPackageError} `INVALID_MANIFEST` listing every problem with its field.
 */
export function validateManifest(value: unknown): ModelManifest {
  if (!isObject(value)) {
    throw new ModelPackageError('INVALID_MANIFEST', 'manifest.json must hold a JSON object');
  }
  const problems: string[] = [];
  const m = value;
  if (m.formatVersion !== MODEL_MANIFEST_FORMAT) {
    problems.push(`formatVersion must be ${MODEL_MANIFEST_FORMAT} (got ${JSON.stringify(m.formatVersion)})`);
  }
  if (typeof m.algorithm !== 'string' || m.algorithm === '')
    problems.push('algorithm must be a non-empty string');
  if (!isStringArray(m.classes) || m.classes.length === 0)
    problems.push('classes must be a non-empty array of strings');
  if (!Number.isInteger(m.inputShortSide) || (m.inputShortSide as number) <= 0) {
    problems.push('inputShortSide must be a positive integer');
  }
  if (!isObject(m.hyperparameters)) problems.push('hyperparameters must be an object');
  if (
    !isObject(m.metrics) ||
    !Object.values(m.metrics).every((v) => typeof v === 'number' && Number.isFinite(v))
  ) {
    problems.push('metrics must be an object of finite numbers');
  }
  if (m.parentVersion !== null && typeof m.parentVersion !== 'string')
    problems.push('parentVersion must be a string or null');
  if (m.version !== undefined && typeof m.version !== 'string') problems.push('version must be a string');
  if (typeof m.createdAt !== 'string' || Number.isNaN(Date.parse(m.createdAt))) {
    problems.push('createdAt must be an ISO date-time string');
  }
  if (m.training !== undefined && !isObject(m.training)) problems.push('training must be an object');
  if (!isStringArray(m.files)) problems.push('files must be an array of strings');
  if (m.onnx !== undefined) {
    const onnx = m.onnx;
    if (!isObject(onnx) || !isStringArray(onnx.files) || !Number.isInteger(onnx.opset)) {
      problems.push('onnx must be { files: string[], opset: integer }');
    } else if (isStringArray(m.files)) {
      const missing = onnx.files.filter((f) => !(m.files as string[]).includes(f));
      if (missing.length) problems.push(`onnx names files the package does not hold: ${missing.join(', ')}`);
    }
  }
  if (problems.length > 0) {
    throw new ModelPackageError('INVALID_MANIFEST', `Invalid manifest.json: ${problems.join('; ')}`);
  }
  return m as unknown as ModelManifest;
}
