export { MODEL_MANIFEST_FORMAT, type ModelManifest } from './manifest.js';
export { ModelPackageError, type ModelPackageErrorCode } from './model-package-error.js';
export {
  writeModelPackage,
  MANIFEST_ENTRY,
  type WriteModelPackageOptions,
  type WrittenModelPackage,
} from './write-model-package.js';
export {
  readModelPackage,
  readManifest,
  extractZip,
  DEFAULT_MODEL_PACKAGE_LIMITS,
  type ExtractedZip,
  type ModelPackageLimits,
  type ExtractedModelPackage,
} from './read-model-package.js';
export { validateManifest } from './validate-manifest.js';
export { checkEntryName } from './entry-name.js';
export { sha256File } from './sha256.js';
