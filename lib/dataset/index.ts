export type { Dataset, DatasetSample, VocAnnotation, VocObject } from './types.js';
export { DatasetError, type DatasetErrorCode } from './dataset-error.js';
export {
  parseIndex,
  parseIndexLines,
  formatIndex,
  readIndexFile,
  writeIndexFile,
  type IndexLine,
} from './index-file.js';
export { parseVoc, formatVoc, readVocFile, readVocFileSync } from './voc.js';
export { loadDataset, defaultCacheDir, type LoadDatasetOptions } from './load-dataset.js';
export { DatasetCache, type CacheStats } from './dataset-cache.js';
export {
  downloadDataset,
  uploadDataset,
  type DownloadDatasetOptions,
  type UploadedDataset,
} from './s3-dataset.js';
