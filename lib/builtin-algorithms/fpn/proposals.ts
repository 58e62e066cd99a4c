import { decodeInto, nms, topK } from './box-utils.js';
import { RPN_BOX_WEIGHTS } from './targets.js';

export interface ProposalOptions {
  preTopK: number;
  postTopK: number;
  nmsIou: number;
  minSize?: number;
}

/**
 * Region proposals of one image from plain RPN outputs (so nothing downstream back-propagates
 * into them): per level top-k by objectness, decode, clip, drop tiny boxes, NMS; then the best
 * `postTopK` over all levels. Returns boxes `[P*4]` and their logits.
 */
export function proposals(
  logits: Float32Array,
  deltas: Float32Array,
  anchors: Float32Array,
  levelStart: number[],
  imgW: number,
  imgH: number,
  opts: ProposalOptions,
): { boxes: Float32Array; scores: Float32Array } {
  const minSize = opts.minSize ?? 1;
  const keptBoxes: number[] = [];
  const keptScores: number[] = [];
  const tmp = new Float32Array(4);
  for (let l = 0; l + 1 < levelStart.length; l++) {
    const top = topK(logits, levelStart[l], levelStart[l + 1], opts.preTopK);
    const boxes = new Float32Array(top.length * 4);
    const order: number[] = [];
    top.forEach((a, k) => {
      decodeInto(tmp, 0, anchors, a, deltas, a * 4, RPN_BOX_WEIGHTS, imgW, imgH);
      boxes.set(tmp, k * 4);
      if (tmp[2] - tmp[0] >= minSize && tmp[3] - tmp[1] >= minSize) order.push(k);
    });
    for (const k of nms(boxes, order, opts.nmsIou, opts.postTopK)) {
      for (let c = 0; c < 4; c++) keptBoxes.push(boxes[k * 4 + c]);
      keptScores.push(logits[top[k]]);
    }
  }
  const idx = [...keptScores.keys()].sort((a, b) => keptScores[b] - keptScores[a]).slice(0, opts.postTopK);
  const boxes = new Float32Array(idx.length * 4);
  const scores = new Float32Array(idx.length);
  idx.forEach((i, k) => {
    for (let c = 0; c < 4; c++) boxes[k * 4 + c] = keptBoxes[i * 4 + c];
    scores[k] = keptScores[i];
  });
  return { boxes, scores };
}

/** FPN paper's level for a region: k = floor(4 + log2(sqrt(wh) / 224)), clamped to P2..P5; returns k - 2. */
export function roiLevel(x1: number, y1: number, x2: number, y2: number): number {
  const s = Math.sqrt(Math.max(1e-6, (x2 - x1) * (y2 - y1)));
  const k = Math.floor(4 + Math.log2(s / 224 + 1e-8));
  return Math.min(5, Math.max(2, k)) - 2;
}
