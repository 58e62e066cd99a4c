import type { Hyperparameters } from '../../algorithm-api/types.js';
import { UsageError } from '../../errors/index.js';

/** Backbones selectable by the `backbone` hyperparameter. */
export const BACKBONES = ['resnet18', 'mobilenetv2'] as const;
export type Backbone = (typeof BACKBONES)[number];

/** Presets selectable by the `preset` hyperparameter. */
export const PRESETS = ['default', 'quick', 'tiny'] as const;
export type Preset = (typeof PRESETS)[number];

/** Every knob of the FPN detector, resolved (hyperparameter names are the snake_case keys). */
export interface FpnConfig {
  preset: Preset;
  backbone: Backbone;
  /** Width multiplier of the backbone (ResNet-18 base widths 64/128/256/512). */
  width: number;
  /** Basic blocks per ResNet stage (C2..C5). */
  resnet_blocks: number[];
  fpn_channels: number;
  fc_dim: number;
  roi_size: number;
  /** Anchor size (px, square-equivalent) per level P2..P6. */
  anchor_sizes: number[];
  /** Anchor aspect ratios h/w, the same on every level. */
  anchor_ratios: number[];
  short_side: number;
  crop_size: number;
  learning_rate: number;
  momentum: number;
  max_iteration: number;
  batch_size: number;
  weight_decay: number;
  warmup_iterations: number;
  /** Iterations, as fractions of max_iteration, where the learning rate is multiplied by lr_gamma. */
  lr_steps: number[];
  lr_gamma: number;
  /**
   * Wall-clock budget in minutes (0: none). Training stops when it is used up, and the step
   * schedule follows elapsed time, so a busy machine gets a complete (shorter) schedule.
   */
  time_budget_minutes: number;
  /** Clip the global gradient norm to this (0: off). */
  clip_norm: number;
  rpn_batch: number;
  rpn_pos_fraction: number;
  rpn_pos_iou: number;
  rpn_neg_iou: number;
  roi_batch: number;
  roi_pos_fraction: number;
  roi_pos_iou: number;
  pre_nms_topk_train: number;
  post_nms_topk_train: number;
  pre_nms_topk_test: number;
  post_nms_topk_test: number;
  rpn_nms_iou: number;
  /** Final per-class NMS IoU (Ianvs uses 0.2). */
  nms_iou: number;
  score_threshold: number;
  max_per_class: number;
  /** Probability that a training crop is centred around a ground-truth box. */
  crop_on_object: number;
  flip: boolean;
  /** Random transpose (90° orientation swap); PCB defects come in both orientations. */
  transpose: boolean;
  seed: number;
  /** Worker threads preparing training batches (decode, crops, RPN targets): 0 = main thread. */
  data_workers: number;
  /**
   * Data-parallel training replicas on worker threads, besides the main thread; the batch is
   * split between them (each takes `batch_size / (train_workers + 1)` images).
   */
  train_workers: number;
  /** Short side the metric frame uses (Ianvs: 640); predict_dict boxes are in this frame. */
  frame_short_side: number;
}

const DEFAULT: FpnConfig = {
  preset: 'default',
  backbone: 'resnet18',
  width: 0.5,
  resnet_blocks: [1, 1, 1, 1],
  fpn_channels: 48,
  fc_dim: 256,
  roi_size: 7,
  anchor_sizes: [20, 40, 80, 160, 320],
  anchor_ratios: [0.25, 0.5, 1, 2, 4],
  short_side: 640,
  crop_size: 320,
  learning_rate: 0.02,
  momentum: 0.9,
  max_iteration: 4000,
  batch_size: 2,
  weight_decay: 1e-4,
  warmup_iterations: 100,
  lr_steps: [0.75, 0.92],
  lr_gamma: 0.1,
  time_budget_minutes: 28,
  clip_norm: 10,
  rpn_batch: 256,
  rpn_pos_fraction: 0.5,
  rpn_pos_iou: 0.6,
  rpn_neg_iou: 0.3,
  roi_batch: 128,
  roi_pos_fraction: 0.25,
  roi_pos_iou: 0.5,
  pre_nms_topk_train: 1000,
  post_nms_topk_train: 500,
  pre_nms_topk_test: 1000,
  post_nms_topk_test: 300,
  rpn_nms_iou: 0.7,
  nms_iou: 0.2,
  score_threshold: 0.5,
  max_per_class: 100,
  crop_on_object: 0.8,
  flip: true,
  transpose: true,
  seed: 1,
  data_workers: 1,
  train_workers: 1,
  frame_short_side: 640,
};

/** Preset overrides on top of the defaults. */
const PRESET_VALUES: Record<Preset, Partial<FpnConfig>> = {
  default: {},
  /** A few minutes on PCB-AoI: demos and CI smoke runs. */
  quick: {
    max_iteration: 300,
    warmup_iterations: 50,
    width: 0.25,
    resnet_blocks: [1, 1, 1, 1],
    fpn_channels: 32,
    fc_dim: 128,
  },
  /** Seconds on tiny generated images (64-128 px): unit tests of every part that uses a model. */
  tiny: {
    width: 0.125,
    resnet_blocks: [1, 1, 1, 1],
    fpn_channels: 16,
    fc_dim: 64,
    roi_size: 5,
    short_side: 96,
    crop_size: 96,
    anchor_sizes: [16, 32, 64, 128, 256],
    anchor_ratios: [0.5, 1, 2],
    max_iteration: 40,
    batch_size: 2,
    learning_rate: 0.02,
    warmup_iterations: 5,
    rpn_batch: 64,
    roi_batch: 32,
    pre_nms_topk_train: 200,
    post_nms_topk_train: 64,
    pre_nms_topk_test: 200,
    post_nms_topk_test: 64,
    score_threshold: 0.3,
    crop_on_object: 0,
    data_workers: 0,
    train_workers: 0,
    time_budget_minutes: 0,
  },
};

const NUMBER_LIST_KEYS = new Set(['resnet_blocks', 'anchor_sizes', 'anchor_ratios', 'lr_steps']);

function parseList(key: string, v: unknown): number[] {
  const items = Array.isArray(v) ? v : String(v).split(',');
  const nums = items.map((x) => Number(typeof x === 'string' ? x.trim() : x));
  if (nums.length === 0 || nums.some((n) => !Number.isFinite(n))) {
    throw new UsageError(
      `hyperparameter ${key} must be a list of numbers (e.g. "1,2,3"), got ${JSON.stringify(v)}`,
    );
  }
  return nums;
}

function coerce(key: keyof FpnConfig, v: unknown, ref: unknown): unknown {
  if (NUMBER_LIST_KEYS.has(key)) return parseList(key, v);
  if (typeof ref === 'number') {
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(n))
      throw new UsageError(`hyperparameter ${key} must be a number, got ${JSON.stringify(v)}`);
    return n;
  }
  if (typeof ref === 'boolean') {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 1) return true;
    if (v === 'false' || v === 0) return false;
    throw new UsageError(`hyperparameter ${key} must be true or false, got ${JSON.stringify(v)}`);
  }
  return String(v);
}

/**
 * Resolves hyperparameters into a full config: the preset's values over the defaults, then the
 * given keys. Unknown keys are kept in the manifest but ignored here; bad values are UsageErrors
 * that name the valid ones.
 */
export function resolveConfig(hp: Hyperparameters = {}): FpnConfig {
  const preset = String(hp.preset ?? 'default') as Preset;
  if (!PRESETS.includes(preset))
    throw new UsageError(`unknown preset "${preset}"; valid: ${PRESETS.join(', ')}`);
  const cfg: FpnConfig = { ...DEFAULT, ...PRESET_VALUES[preset], preset };
  for (const [k, v] of Object.entries(hp)) {
    if (k === 'preset' || !(k in DEFAULT) || v === undefined || v === null) continue;
    const key = k as keyof FpnConfig;
    (cfg as unknown as Record<string, unknown>)[key] = coerce(key, v, DEFAULT[key]);
  }
  if (!BACKBONES.includes(cfg.backbone)) {
    throw new UsageError(`unknown backbone "${cfg.backbone}"; valid: ${BACKBONES.join(', ')}`);
  }
  if (cfg.anchor_sizes.length !== 5)
    throw new UsageError('anchor_sizes needs 5 values, one per level P2..P6');
  if (cfg.resnet_blocks.length !== 4)
    throw new UsageError('resnet_blocks needs 4 values, one per stage C2..C5');
  for (const key of ['max_iteration', 'batch_size', 'short_side', 'crop_size', 'fpn_channels'] as const) {
    if (!(cfg[key] >= 1) || !Number.isInteger(cfg[key]))
      throw new UsageError(`${key} must be a positive integer`);
  }
  if (cfg.crop_size % 32 !== 0) throw new UsageError('crop_size must be a multiple of 32');
  if (!(cfg.learning_rate > 0)) throw new UsageError('learning_rate must be > 0');
  return cfg;
}

/** Keys that shape the network the weights belong to: a loaded model keeps its own. */
export const ARCHITECTURE_KEYS = [
  'backbone',
  'width',
  'resnet_blocks',
  'fpn_channels',
  'fc_dim',
  'roi_size',
  'anchor_ratios',
] as const satisfies ReadonlyArray<keyof FpnConfig>;

/**
 * The config of a loaded model with the caller's hyperparameters over it: every given key wins over
 * what the model stored (`--init M.zip --hp time_budget_minutes=8` trains for 8 minutes). A key
 * that would need another network than the stored weights (the preset, backbone, widths, ...) is a
 * UsageError naming it, never a silently different model.
 */
export function resolveLoadedConfig(stored: FpnConfig, given: Hyperparameters): FpnConfig {
  const { preset, ...keys } = given;
  if (preset !== undefined && preset !== null && String(preset) !== stored.preset) {
    throw new UsageError(
      `preset ${String(preset)} does not fit the loaded model, built with preset ${stored.preset}; ` +
        'drop the preset hyperparameter or train without an initial model',
    );
  }
  const cfg = resolveConfig({ ...stored, ...keys });
  for (const key of ARCHITECTURE_KEYS) {
    if (JSON.stringify(cfg[key]) !== JSON.stringify(stored[key])) {
      throw new UsageError(
        `${key}=${JSON.stringify(cfg[key])} does not fit the loaded model, built with ` +
          `${key}=${JSON.stringify(stored[key])}; drop it or train without an initial model`,
      );
    }
  }
  return cfg;
}
