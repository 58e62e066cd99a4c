import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import type { ResizedImage } from '../../image/decode.js';
import { planRoiAlign, type FlatLevel } from '../../tf/roi-align.js';
import type { FpnConfig } from './config.js';
import {
  levelAnchors,
  padTo32,
  postprocessDetections,
  roiRequests,
  testProposals,
  type RawDetection,
} from './detector.js';
import { LEVEL_STRIDES } from './network.js';
import { ONNX_FILES, ROI_LEVELS, RPN_LEVELS } from './onnx-export.js';

/**
 * ONNX Runtime, loaded on first use: a machine where its native binding does not load gets a
 * rejected promise (and the caller falls back to TF.js) instead of a crash at import time.
 */
let ortModule: Promise<typeof Ort> | null = null;
export function loadOrt(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node') as Promise<typeof Ort>;
  return ortModule;
}

/**
 * The FPN detector on ONNX Runtime: backbone, FPN, RPN and the box head run in two sessions
 * (model.onnx, box-head.onnx); anchors, proposals, ROI Align (the same plan as training's) and
 * per-class decoding + NMS are the shared TypeScript of detector.ts, so both engines answer alike.
 */
export class OnnxFpnDetector {
  private readonly anchorCache = new Map<string, { anchors: Float32Array; levelStart: number[] }>();

  private constructor(
    private readonly ort: typeof Ort,
    private readonly features: Ort.InferenceSession,
    private readonly boxHead: Ort.InferenceSession,
    readonly cfg: FpnConfig,
    readonly numClasses: number,
  ) {}

  /** Opens both sessions from an unpacked model directory; intra-op threads = `threads`. */
  static async open(
    dir: string,
    cfg: FpnConfig,
    numClasses: number,
    threads: number,
  ): Promise<OnnxFpnDetector> {
    const ort = await loadOrt();
    const options: Ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    };
    const features = await ort.InferenceSession.create(join(dir, ONNX_FILES.features), options);
    try {
      const boxHead = await ort.InferenceSession.create(join(dir, ONNX_FILES.boxHead), options);
      return new OnnxFpnDetector(ort, features, boxHead, cfg, numClasses);
    } catch (err) {
      await features.release();
      throw err;
    }
  }

  /** Detections on one resized image, in its frame (see FpnDetector.detect). */
  async detect(img: ResizedImage): Promise<RawDetection[]> {
    const { cfg } = this;
    const padH = padTo32(img.height);
    const padW = padTo32(img.width);
    const image = new this.ort.Tensor('float32', nchwInput(img, padH, padW), [1, 3, padH, padW]);
    const out = await this.features.run({ image });
    const maps = Array.from({ length: ROI_LEVELS }, (_, i) => out[`p${i + 2}`]);
    const sizes = maps.map((m) => ({ height: m.dims[1], width: m.dims[2] }));
    sizes.push({ height: Math.ceil(sizes[3].height / 2), width: Math.ceil(sizes[3].width / 2) });
    const { anchors, levelStart } = this.anchorsFor(sizes);
    const logits = concat(
      Array.from({ length: RPN_LEVELS }, (_, i) => out[`rpn_logits${i}`].data as Float32Array),
    );
    const deltas = concat(
      Array.from({ length: RPN_LEVELS }, (_, i) => out[`rpn_deltas${i}`].data as Float32Array),
    );
    const boxes = testProposals(cfg, logits, deltas, anchors, levelStart, img.width, img.height);
    if (boxes.length === 0) return [];
    const pooled = roiAlignArrays(
      maps.map((m) => m.data as Float32Array),
      sizes.slice(0, ROI_LEVELS),
      cfg.fpn_channels,
      roiRequests(boxes),
      cfg.roi_size,
    );
    const rois = boxes.length / 4;
    const head = await this.boxHead.run({
      pooled: new this.ort.Tensor('float32', pooled, [rois, cfg.roi_size * cfg.roi_size * cfg.fpn_channels]),
    });
    return postprocessDetections(
      cfg,
      this.numClasses,
      boxes,
      head.probs.data as Float32Array,
      head.deltas.data as Float32Array,
      img.width,
      img.height,
    );
  }

  private anchorsFor(sizes: Array<{ height: number; width: number }>) {
    const key = sizes.map((s) => `${s.height}x${s.width}`).join(',');
    let a = this.anchorCache.get(key);
    if (!a) {
      a = levelAnchors(this.cfg, sizes);
      this.anchorCache.set(key, a);
    }
    return a;
  }

  async dispose(): Promise<void> {
    await Promise.all([this.features.release(), this.boxHead.release()]);
  }
}

/** `[1, 3, padH, padW]` normalised as inputTensor does, zero-padded. */
function nchwInput(img: ResizedImage, padH: number, padW: number): Float32Array {
  const plane = padH * padW;
  const out = new Float32Array(3 * plane);
  const src = img.data;
  for (let y = 0; y < img.height; y++) {
    let i = y * img.width * 3;
    const row = y * padW;
    for (let x = 0; x < img.width; x++, i += 3) {
      out[row + x] = (src[i] - 127.5) / 64;
      out[plane + row + x] = (src[i + 1] - 127.5) / 64;
      out[2 * plane + row + x] = (src[i + 2] - 127.5) / 64;
    }
  }
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * ROI Align on plain NHWC maps with the plan training uses (planRoiAlign): `[R, out*out*C]`,
 * the box head's input layout.
 */
function roiAlignArrays(
  maps: Float32Array[],
  sizes: Array<{ height: number; width: number }>,
  channels: number,
  requests: ReturnType<typeof roiRequests>,
  outSize: number,
): Float32Array {
  const levels: FlatLevel[] = [];
  let row = 0;
  sizes.forEach((s, i) => {
    levels.push({ rowOffset: row, batch: 1, height: s.height, width: s.width, stride: LEVEL_STRIDES[i] });
    row += s.height * s.width;
  });
  const table = concat(maps);
  const plan = planRoiAlign(levels, requests, outSize, 1);
  const bins = plan.rois * outSize * outSize;
  const k = plan.samples * plan.samples * 4;
  const out = new Float32Array(bins * channels);
  for (let b = 0; b < bins; b++) {
    const o = b * channels;
    for (let j = b * k; j < (b + 1) * k; j++) {
      const w = plan.weights[j];
      if (w === 0) continue;
      const t = plan.indices[j] * channels;
      for (let c = 0; c < channels; c++) out[o + c] += w * table[t + c];
    }
  }
  return out;
}
