export {
  initBackend,
  activeBackend,
  wasmBinaryDir,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
} from './backend.js';
export { registerFastGradients } from './fast-gradients.js';
export { registerWasmKernels } from './wasm-kernels.js';
export {
  conv2dInfo,
  conv2dFilterGrad,
  conv2dInputGrad,
  depthwiseFilterGrad,
  depthwiseInputGrad,
  matMulExplicit,
} from './conv-grad-ops.js';
export {
  planRoiAlign,
  flattenLevels,
  roiAlign,
  type FlatLevel,
  type RoiAlignPlan,
  type RoiRequest,
} from './roi-align.js';
