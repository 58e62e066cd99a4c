export { FpnModel, ModelNotReadyError } from './fpn-model.js';
export { resolveConfig, BACKBONES, PRESETS, type FpnConfig, type Backbone, type Preset } from './config.js';
export { CheckpointError, CHECKPOINT_FORMAT, type CheckpointMeta } from './checkpoint.js';
export {
  writeSyntheticDataset,
  type SyntheticDataset,
  type SyntheticDatasetOptions,
} from './synthetic-dataset.js';
export { FpnWorkerPool, type PoolOptions } from './detector-pool.js';
export { ThreadedFpnModel } from './threaded-model.js';
