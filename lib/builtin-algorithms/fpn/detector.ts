import * as tf from '@tensorflow/tfjs-core';
import { flattenLevels, planRoiAlign, roiAlign, type RoiRequest } from '../../tf/roi-align.js';
import { allAnchors, decodeInto, nms } from './box-utils.js';
import type { FpnConfig } from './config.js';
import { bceWithLogits, smoothL1, weightedSum } from './losses.js';
import { backbone, boxHead, fpnNeck, LEVEL_STRIDES, rpnHead } from './network.js';
import type { ParamStore } from './params.js';
import { proposals, roiLevel } from './proposals.js';
import { ROI_BOX_WEIGHTS, rpnTargets, sampleRois, type GtBoxes, type RpnTargets } from './targets.js';

/** A detection in the network's input frame. `label` is 1..K. */
export interface RawDetection {
  label: number;
  score: number;
  box: [number, number, number, number];
}

/** Loss components and their sum, as tensors (inside a gradient scope). */
export interface LossTensors {
  total: tf.Scalar;
  parts: Record<'rpn_cls' | 'rpn_box' | 'rcnn_cls' | 'rcnn_box', tf.Scalar>;
}

/** Per-level `[N, A_l, per]` arrays joined into one `[N, A, per]` array (image-major, then level). */
function joinLevels(levels: Float32Array[], n: number, levelStart: number[], per: number): Float32Array {
  const a = levelStart[levelStart.length - 1];
  const out = new Float32Array(n * a * per);
  levels.forEach((data, l) => {
    const al = levelStart[l + 1] - levelStart[l];
    for (let i = 0; i < n; i++)
      out.set(data.subarray(i * al * per, (i + 1) * al * per), (i * a + levelStart[l]) * per);
  });
  return out;
}

/** Rounds up to a multiple of 32 so that every FPN level is exactly half the one above. */
export function padTo32(n: number): number {
  return Math.ceil(n / 32) * 32;
}

/** Normalised `[N, H, W, 3]` input from same-sized RGB byte images, zero-padded to `padH x padW`. */
export function inputTensor(
  images: Array<{ data: Uint8Array; width: number; height: number }>,
  padH: number,
  padW: number,
): tf.Tensor4D {
  const out = new Float32Array(images.length * padH * padW * 3);
  images.forEach((img, n) => {
    const base = n * padH * padW * 3;
    for (let y = 0; y < img.height; y++) {
      let o = base + y * padW * 3;
      let i = y * img.width * 3;
      for (let x = 0; x < img.width * 3; x++) out[o++] = (img.data[i++] - 127.5) / 64;
    }
  });
  return tf.tensor4d(out, [images.length, padH, padW, 3]);
}

/**
 * The Faster R-CNN + FPN graph: backbone → FPN (P2..P6) → shared RPN → proposals (plain arrays)
 * → ROI Align on P2..P5 by box size → box head. Weights live in a ParamStore.
 */
export class FpnDetector {
  private anchorCache = new Map<string, { anchors: Float32Array; levelStart: number[] }>();

  constructor(
    readonly cfg: FpnConfig,
    readonly numClasses: number,
    readonly params: ParamStore,
  ) {}

  /** Creates every weight by running the graph once on a small zero image. */
  build(): void {
    tf.tidy(() => {
      const x = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
      const ps = this.features(x);
      rpnHead(this.params, this.cfg, ps);
      const pooled = tf.zeros([
        1,
        this.cfg.roi_size,
        this.cfg.roi_size,
        this.cfg.fpn_channels,
      ]) as tf.Tensor4D;
      boxHead(this.params, this.cfg, pooled, this.numClasses);
    });
  }

  private features(x: tf.Tensor4D): tf.Tensor4D[] {
    return fpnNeck(this.params, this.cfg, backbone(this.params, this.cfg, x));
  }

  private anchorsFor(ps: tf.Tensor4D[]): { anchors: Float32Array; levelStart: number[] } {
    const key = ps.map((p) => `${p.shape[1]}x${p.shape[2]}`).join(',');
    let a = this.anchorCache.get(key);
    if (!a) {
      a = levelAnchors(
        this.cfg,
        ps.map((p) => ({ height: p.shape[1], width: p.shape[2] })),
      );
      this.anchorCache.set(key, a);
    }
    return a;
  }

  /**
   * Training loss of a batch (call inside `tf.variableGrads`). Reads the RPN outputs back
   * synchronously to build proposals and targets as plain arrays: tfjs has no stopGradient, and
   * wasm reads are cheap copies.
   */
  loss(x: tf.Tensor4D, gts: GtBoxes[], rng: () => number, precomputed?: RpnTargets[]): LossTensors {
    const cfg = this.cfg;
    const [n, h, w] = x.shape;
    const ps = this.features(x);
    const rpn = rpnHead(this.params, cfg, ps);
    const { anchors, levelStart } = this.anchorsFor(ps);
    const a = anchors.length / 4;
    const labels = new Float32Array(n * a);
    const weights = new Float32Array(n * a);
    const deltas = new Float32Array(n * a * 4);
    const boxWeights = new Float32Array(n * a);
    gts.forEach((gt, i) => {
      const t =
        precomputed?.[i] ??
        rpnTargets(
          anchors,
          gt,
          {
            batch: cfg.rpn_batch,
            posFraction: cfg.rpn_pos_fraction,
            posIou: cfg.rpn_pos_iou,
            negIou: cfg.rpn_neg_iou,
          },
          rng,
        );
      if (t.labels.length !== a)
        throw new Error(`RPN targets for ${t.labels.length} anchors, the network has ${a}`);
      labels.set(t.labels, i * a);
      weights.set(t.weights, i * a);
      deltas.set(t.deltas, i * a * 4);
      boxWeights.set(t.boxWeights, i * a);
    });
    const sampled = weights.reduce((s, v) => s + v, 0);
    const rpnClsTerms: tf.Tensor[] = [];
    const rpnBoxTerms: tf.Tensor[] = [];
    rpn.logits.forEach((logitsL, l) => {
      const al = logitsL.shape[1];
      const pick = (src: Float32Array, per: number) => {
        const out = new Float32Array(n * al * per);
        for (let i = 0; i < n; i++)
          out.set(
            src.subarray((i * a + levelStart[l]) * per, (i * a + levelStart[l] + al) * per),
            i * al * per,
          );
        return out;
      };
      const lw = pick(weights, 1);
      rpnClsTerms.push(
        tf.sum(
          tf.mul(bceWithLogits(logitsL, tf.tensor2d(pick(labels, 1), [n, al])), tf.tensor2d(lw, [n, al])),
        ),
      );
      const err = tf.sum(smoothL1(tf.sub(rpn.deltas[l], tf.tensor3d(pick(deltas, 4), [n, al, 4])), 1 / 9), 2);
      rpnBoxTerms.push(tf.sum(tf.mul(err, tf.tensor2d(pick(boxWeights, 1), [n, al]))));
    });
    const rpnCls = tf.div(tf.addN(rpnClsTerms), Math.max(1, sampled)) as tf.Scalar;
    const rpnBox = tf.div(tf.addN(rpnBoxTerms), Math.max(1, sampled)) as tf.Scalar;

    const logitData = joinLevels(
      rpn.logits.map((t) => t.dataSync() as Float32Array),
      n,
      levelStart,
      1,
    );
    const deltaData = joinLevels(
      rpn.deltas.map((t) => t.dataSync() as Float32Array),
      n,
      levelStart,
      4,
    );
    const requests: RoiRequest[] = [];
    const roiLabels: number[] = [];
    const roiDeltas: number[] = [];
    gts.forEach((gt, i) => {
      const prop = proposals(
        logitData.subarray(i * a, (i + 1) * a),
        deltaData.subarray(i * a * 4, (i + 1) * a * 4),
        anchors,
        levelStart,
        w,
        h,
        {
          preTopK: cfg.pre_nms_topk_train,
          postTopK: cfg.post_nms_topk_train,
          nmsIou: cfg.rpn_nms_iou,
        },
      );
      const s = sampleRois(
        prop.boxes,
        gt,
        { batch: cfg.roi_batch, posFraction: cfg.roi_pos_fraction, posIou: cfg.roi_pos_iou },
        rng,
      );
      for (let r = 0; r < s.labels.length; r++) {
        const b = s.boxes.subarray(r * 4, r * 4 + 4);
        requests.push({ batch: i, level: roiLevel(b[0], b[1], b[2], b[3]), box: [b[0], b[1], b[2], b[3]] });
        roiLabels.push(s.labels[r]);
        for (let c = 0; c < 4; c++) roiDeltas.push(s.deltas[r * 4 + c]);
      }
    });
    const head = this.head(ps, requests);
    const r = requests.length;
    const k = this.numClasses;
    const onehot = tf.oneHot(tf.tensor1d(roiLabels, 'int32'), k + 1);
    const rcnnCls = tf.div(
      tf.neg(tf.sum(tf.mul(onehot, tf.logSoftmax(head.clsLogits)))),
      Math.max(1, r),
    ) as tf.Scalar;
    const target = new Float32Array(r * 4 * k);
    const mask = new Float32Array(r * 4 * k);
    roiLabels.forEach((label, i) => {
      if (label <= 0) return;
      for (let c = 0; c < 4; c++) {
        target[i * 4 * k + (label - 1) * 4 + c] = roiDeltas[i * 4 + c];
        mask[i * 4 * k + (label - 1) * 4 + c] = 1;
      }
    });
    const boxErr = smoothL1(tf.sub(head.deltas, tf.tensor2d(target, [r, 4 * k])), 1);
    const rcnnBox = weightedSum(boxErr, tf.tensor2d(mask, [r, 4 * k]), r);
    const total = tf.addN([rpnCls, rpnBox, rcnnCls, rcnnBox]) as tf.Scalar;
    return { total, parts: { rpn_cls: rpnCls, rpn_box: rpnBox, rcnn_cls: rcnnCls, rcnn_box: rcnnBox } };
  }

  /** ROI Align on P2..P5 (level by box size) and the box head. */
  private head(ps: tf.Tensor4D[], requests: RoiRequest[]) {
    const { table, levels } = flattenLevels(ps.slice(0, 4), LEVEL_STRIDES.slice(0, 4));
    const plan = planRoiAlign(levels, requests, this.cfg.roi_size, 1);
    return boxHead(this.params, this.cfg, roiAlign(table, plan), this.numClasses);
  }

  /**
   * Detections on one normalised, padded image `[1, H', W', 3]` whose real content is
   * `width x height`. Boxes are in that frame; per-class NMS, score threshold, per-class cap.
   */
  async detect(x: tf.Tensor4D, width: number, height: number): Promise<RawDetection[]> {
    const cfg = this.cfg;
    const stage1 = tf.tidy(() => {
      const ps = this.features(x);
      const rpn = rpnHead(this.params, cfg, ps);
      return { ps, logits: rpn.logits, deltas: rpn.deltas };
    });
    let stage2: { probs: tf.Tensor2D; deltas: tf.Tensor2D } | undefined;
    let boxes: Float32Array;
    try {
      const { anchors, levelStart } = this.anchorsFor(stage1.ps);
      const logitData = joinLevels(
        (await Promise.all(stage1.logits.map((t) => t.data()))) as Float32Array[],
        1,
        levelStart,
        1,
      );
      const deltaData = joinLevels(
        (await Promise.all(stage1.deltas.map((t) => t.data()))) as Float32Array[],
        1,
        levelStart,
        4,
      );
      boxes = testProposals(cfg, logitData, deltaData, anchors, levelStart, width, height);
      if (boxes.length === 0) return [];
      const requests = roiRequests(boxes);
      stage2 = tf.tidy(() => {
        const head = this.head(stage1.ps, requests);
        return { probs: tf.softmax(head.clsLogits), deltas: head.deltas };
      });
    } finally {
      tf.dispose([...stage1.ps, ...stage1.logits, ...stage1.deltas]);
    }
    if (!stage2) return [];
    try {
      const [probs, deltas] = (await Promise.all([
        stage2.probs.data(),
        stage2.deltas.data(),
      ])) as Float32Array[];
      return postprocessDetections(this.cfg, this.numClasses, boxes, probs, deltas, width, height);
    } finally {
      tf.dispose([stage2.probs, stage2.deltas]);
    }
  }
}

/** Per class: decode, score threshold, NMS (IoU `nms_iou`), at most `max_per_class`. */
export function postprocessDetections(
  cfg: FpnConfig,
  numClasses: number,
  boxes: Float32Array,
  probs: Float32Array,
  deltas: Float32Array,
  width: number,
  height: number,
): RawDetection[] {
  const k = numClasses;
  const r = boxes.length / 4;
  const out: RawDetection[] = [];
  for (let c = 1; c <= k; c++) {
    const cand: number[] = [];
    for (let i = 0; i < r; i++) if (probs[i * (k + 1) + c] >= cfg.score_threshold) cand.push(i);
    if (cand.length === 0) continue;
    const decoded = new Float32Array(cand.length * 4);
    cand.forEach((i, j) =>
      decodeInto(decoded, j * 4, boxes, i, deltas, i * 4 * k + (c - 1) * 4, ROI_BOX_WEIGHTS, width, height),
    );
    const scores = cand.map((i) => probs[i * (k + 1) + c]);
    const order = [...cand.keys()].filter(
      (j) => decoded[j * 4 + 2] > decoded[j * 4] && decoded[j * 4 + 3] > decoded[j * 4 + 1],
    );
    order.sort((p, q) => scores[q] - scores[p]);
    for (const j of nms(decoded, order, cfg.nms_iou, cfg.max_per_class)) {
      out.push({
        label: c,
        score: scores[j],
        box: [decoded[j * 4], decoded[j * 4 + 1], decoded[j * 4 + 2], decoded[j * 4 + 3]],
      });
    }
  }
  return out;
}

/** Anchors of every level for feature maps of the given sizes, with each level's first index. */
export function levelAnchors(
  cfg: FpnConfig,
  sizes: Array<{ height: number; width: number }>,
): { anchors: Float32Array; levelStart: number[] } {
  return allAnchors(sizes, LEVEL_STRIDES, cfg.anchor_sizes, cfg.anchor_ratios);
}

/** Test-time proposals of one image (boxes `[P*4]` in the input frame). */
export function testProposals(
  cfg: FpnConfig,
  logits: Float32Array,
  deltas: Float32Array,
  anchors: Float32Array,
  levelStart: number[],
  width: number,
  height: number,
): Float32Array {
  return proposals(logits, deltas, anchors, levelStart, width, height, {
    preTopK: cfg.pre_nms_topk_test,
    postTopK: cfg.post_nms_topk_test,
    nmsIou: cfg.rpn_nms_iou,
  }).boxes;
}

/** One ROI Align request per proposal, on the FPN level its size picks. */
export function roiRequests(boxes: Float32Array): RoiRequest[] {
  const requests: RoiRequest[] = [];
  for (let r = 0; r < boxes.length / 4; r++) {
    const b = boxes.subarray(r * 4, r * 4 + 4);
    requests.push({ batch: 0, level: roiLevel(b[0], b[1], b[2], b[3]), box: [b[0], b[1], b[2], b[3]] });
  }
  return requests;
}
