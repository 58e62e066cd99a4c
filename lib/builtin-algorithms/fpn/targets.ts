import { encodeInto, iou } from './box-utils.js';

/** Ground truth of one training image: boxes `[x1, y1, x2, y2]` and labels 1..K (0 is background). */
export interface GtBoxes {
  boxes: Float32Array;
  labels: Int32Array;
}

/** Box-coder weights of the RPN and of the box head (Detectron's). */
export const RPN_BOX_WEIGHTS = [1, 1, 1, 1] as const;
export const ROI_BOX_WEIGHTS = [10, 10, 5, 5] as const;

/** Picks up to `k` items of `items` at random (partial Fisher-Yates). */
function sample(items: number[], k: number, rng: () => number): number[] {
  const a = items.slice();
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, n);
}

/** Dense RPN targets for one image: sampled anchors get weight 1; positives also get box targets. */
export interface RpnTargets {
  labels: Float32Array;
  weights: Float32Array;
  deltas: Float32Array;
  boxWeights: Float32Array;
}

/**
 * Matches anchors to ground truth (IoU >= pos → object, < neg → background, and each box's
 * best anchor is an object) and samples `batch` of them with at most `posFraction` objects.
 */
export function rpnTargets(
  anchors: Float32Array,
  gt: GtBoxes,
  opts: { batch: number; posFraction: number; posIou: number; negIou: number },
  rng: () => number,
): RpnTargets {
  const n = anchors.length / 4;
  const g = gt.labels.length;
  const labels = new Float32Array(n);
  const weights = new Float32Array(n);
  const deltas = new Float32Array(n * 4);
  const boxWeights = new Float32Array(n);
  const best = new Float32Array(n);
  const arg = new Int32Array(n).fill(-1);
  const gtBest = new Float32Array(g);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < g; j++) {
      const v = iou(anchors, i, gt.boxes, j);
      if (v > best[i]) {
        best[i] = v;
        arg[i] = j;
      }
      if (v > gtBest[j]) gtBest[j] = v;
    }
  }
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < n; i++) {
    let isPos = best[i] >= opts.posIou;
    // Each box's best anchors are objects too, so that thin boxes are never left without one.
    if (!isPos && arg[i] >= 0 && best[i] > 0.1 && best[i] >= gtBest[arg[i]] - 1e-6) isPos = true;
    if (isPos) pos.push(i);
    else if (best[i] < opts.negIou) neg.push(i);
  }
  const posKept = sample(pos, Math.floor(opts.batch * opts.posFraction), rng);
  const negKept = sample(neg, opts.batch - posKept.length, rng);
  for (const i of posKept) {
    labels[i] = 1;
    weights[i] = 1;
    boxWeights[i] = 1;
    encodeInto(deltas, i * 4, anchors, i, gt.boxes, arg[i], RPN_BOX_WEIGHTS);
  }
  for (const i of negKept) weights[i] = 1;
  return { labels, weights, deltas, boxWeights };
}

/** Sampled regions of one image for the box head. */
export interface RoiSample {
  boxes: Float32Array;
  /** 0 = background, 1..K = class. */
  labels: Int32Array;
  /** Regression targets towards the matched box (meaningful where label > 0). */
  deltas: Float32Array;
}

/**
 * Adds the ground truth to the proposals, labels each by its best box (IoU >= posIou → that
 * box's class, else background) and samples `batch` with at most `posFraction` foreground.
 */
export function sampleRois(
  proposals: Float32Array,
  gt: GtBoxes,
  opts: { batch: number; posFraction: number; posIou: number },
  rng: () => number,
): RoiSample {
  const p = proposals.length / 4;
  const g = gt.labels.length;
  const all = new Float32Array((p + g) * 4);
  all.set(proposals, 0);
  all.set(gt.boxes, p * 4);
  const n = p + g;
  const fg: number[] = [];
  const bg: number[] = [];
  const arg = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 0; j < g; j++) {
      const v = iou(all, i, gt.boxes, j);
      if (v > best) {
        best = v;
        arg[i] = j;
      }
    }
    if (best >= opts.posIou) fg.push(i);
    else bg.push(i);
  }
  const fgKept = sample(fg, Math.floor(opts.batch * opts.posFraction), rng);
  const bgKept = sample(bg, opts.batch - fgKept.length, rng);
  const kept = [...fgKept, ...bgKept];
  const boxes = new Float32Array(kept.length * 4);
  const labels = new Int32Array(kept.length);
  const deltas = new Float32Array(kept.length * 4);
  kept.forEach((i, k) => {
    boxes.set(all.subarray(i * 4, i * 4 + 4), k * 4);
    if (k < fgKept.length) {
      labels[k] = gt.labels[arg[i]];
      encodeInto(deltas, k * 4, all, i, gt.boxes, arg[i], ROI_BOX_WEIGHTS);
    }
  });
  return { boxes, labels, deltas };
}
