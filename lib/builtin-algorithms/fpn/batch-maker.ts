import { allAnchors } from './box-utils.js';
import type { FpnConfig } from './config.js';
import { rpnTargets, type GtBoxes, type RpnTargets } from './targets.js';
import { randomCrop, type TrainImage } from './train-data.js';

/** Strides of P2..P6, as network.ts builds them. */
const STRIDES = [4, 8, 16, 32, 64];

/** One training batch, as plain arrays (transferable between threads). */
export interface TrainBatch {
  /** Normalised `[n, size, size, 3]` input. */
  input: Float32Array;
  n: number;
  size: number;
  gts: GtBoxes[];
  /** RPN targets per image, computed with the batch (they depend only on the anchors and boxes). */
  rpn: RpnTargets[];
}

/** Feature-map sizes of P2..P6 for a square input of `size` (a multiple of 32). */
export function levelSizes(size: number): Array<{ height: number; width: number }> {
  return STRIDES.map((s, i) => {
    const v = i < 4 ? size / s : Math.ceil(size / 32 / 2);
    return { height: v, width: v };
  });
}

/** Builds batches of random crops with their RPN targets. Pure except for `rng`. */
export class BatchMaker {
  private readonly anchors: Float32Array;

  constructor(
    private readonly images: TrainImage[],
    private readonly cfg: FpnConfig,
    private readonly rng: () => number,
  ) {
    this.anchors = allAnchors(
      levelSizes(cfg.crop_size),
      STRIDES,
      cfg.anchor_sizes,
      cfg.anchor_ratios,
    ).anchors;
  }

  next(): TrainBatch {
    const { cfg, rng } = this;
    const size = cfg.crop_size;
    const n = cfg.batch_size;
    const input = new Float32Array(n * size * size * 3);
    const gts: GtBoxes[] = [];
    const rpn: RpnTargets[] = [];
    for (let i = 0; i < n; i++) {
      const img = this.images[Math.floor(rng() * this.images.length)];
      const crop = randomCrop(
        img,
        { size, onObject: cfg.crop_on_object, flip: cfg.flip, transpose: cfg.transpose },
        rng,
      );
      const base = i * size * size * 3;
      for (let k = 0; k < crop.data.length; k++) input[base + k] = (crop.data[k] - 127.5) / 64;
      gts.push(crop.gt);
      rpn.push(
        rpnTargets(
          this.anchors,
          crop.gt,
          {
            batch: cfg.rpn_batch,
            posFraction: cfg.rpn_pos_fraction,
            posIou: cfg.rpn_pos_iou,
            negIou: cfg.rpn_neg_iou,
          },
          rng,
        ),
      );
    }
    return { input, n, size, gts, rpn };
  }
}

/** Every ArrayBuffer of a batch, for a zero-copy postMessage. */
export function batchTransferList(b: TrainBatch): ArrayBuffer[] {
  const bufs = [b.input.buffer, ...b.gts.flatMap((g) => [g.boxes.buffer, g.labels.buffer])];
  for (const r of b.rpn) bufs.push(r.labels.buffer, r.weights.buffer, r.deltas.buffer, r.boxWeights.buffer);
  return [...new Set(bufs)] as ArrayBuffer[];
}
