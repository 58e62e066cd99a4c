import * as tf from '@tensorflow/tfjs-core';
import type { FpnConfig } from './config.js';
import { conv, convGn, dense, dwConv, groupNorm, subsample2, upsample2 } from './layers.js';
import type { ParamStore } from './params.js';

/** Strides of P2..P6. */
export const LEVEL_STRIDES = [4, 8, 16, 32, 64];

function ch(base: number, width: number): number {
  return Math.max(8, Math.round((base * width) / 8) * 8);
}

/** ResNet basic block; the last GroupNorm starts at 0 so each block starts as identity (trains from scratch). */
function basicBlock(p: ParamStore, name: string, x: tf.Tensor4D, outC: number, stride: number): tf.Tensor4D {
  const y1 = convGn(p, `${name}/conv1`, x, outC, 3, stride);
  const y2 = convGn(p, `${name}/conv2`, y1, outC, 3, 1, false, 0);
  const shortcut =
    stride !== 1 || x.shape[3] !== outC ? convGn(p, `${name}/proj`, x, outC, 1, stride, false) : x;
  return tf.relu(tf.add(y2, shortcut));
}

/** ResNet-18-style backbone with a width multiplier and a cheap 2-conv stem; returns C2..C5. */
function resnet(p: ParamStore, cfg: FpnConfig, x: tf.Tensor4D): tf.Tensor4D[] {
  const widths = [64, 128, 256, 512].map((b) => ch(b, cfg.width));
  let y = convGn(p, 'stem/conv1', x, ch(32, cfg.width), 3, 2);
  y = convGn(p, 'stem/conv2', y, widths[0], 3, 2);
  const outs: tf.Tensor4D[] = [];
  for (let s = 0; s < 4; s++) {
    for (let b = 0; b < cfg.resnet_blocks[s]; b++) {
      y = basicBlock(p, `res${s + 2}/block${b}`, y, widths[s], s > 0 && b === 0 ? 2 : 1);
    }
    outs.push(y);
  }
  return outs;
}

/** MobileNetV2 inverted residual: 1x1 expand, 3x3 depthwise, 1x1 linear projection. */
function invertedResidual(
  p: ParamStore,
  name: string,
  x: tf.Tensor4D,
  outC: number,
  stride: number,
  expand: number,
): tf.Tensor4D {
  const inC = x.shape[3];
  let y = expand === 1 ? x : convGn(p, `${name}/expand`, x, inC * expand, 1);
  y = tf.relu6(groupNorm(p, `${name}/dw/gn`, dwConv(p, `${name}/dw`, y, stride)));
  y = convGn(p, `${name}/project`, y, outC, 1, 1, false, stride === 1 && inC === outC ? 0 : 1);
  return stride === 1 && inC === outC ? tf.add(y, x) : y;
}

/** MobileNetV2-style backbone (width-scaled); returns C2..C5 at strides 4, 8, 16, 32. */
function mobilenetV2(p: ParamStore, cfg: FpnConfig, x: tf.Tensor4D): tf.Tensor4D[] {
  // [expansion, channels, repeats, stride, emits C-level after this group]
  const groups: Array<[number, number, number, number, boolean]> = [
    [1, 16, 1, 1, false],
    [6, 24, 2, 2, true],
    [6, 32, 3, 2, true],
    [6, 64, 4, 2, false],
    [6, 96, 3, 1, true],
    [6, 160, 3, 2, false],
    [6, 320, 1, 1, true],
  ];
  let y = tf.relu6(groupNorm(p, 'stem/gn', conv(p, 'stem', x, ch(32, cfg.width), 3, 2)));
  const outs: tf.Tensor4D[] = [];
  groups.forEach(([t, c, n, s, emit], gi) => {
    for (let i = 0; i < n; i++)
      y = invertedResidual(p, `mb${gi}/block${i}`, y, ch(c, cfg.width), i === 0 ? s : 1, t);
    if (emit) outs.push(y);
  });
  return outs;
}

/** The selected backbone: C2..C5. */
export function backbone(p: ParamStore, cfg: FpnConfig, x: tf.Tensor4D): tf.Tensor4D[] {
  return cfg.backbone === 'mobilenetv2' ? mobilenetV2(p, cfg, x) : resnet(p, cfg, x);
}

/** FPN: lateral 1x1s, top-down nearest upsampling with addition, 3x3 outputs; P6 by subsampling P5. */
export function fpnNeck(p: ParamStore, cfg: FpnConfig, cs: tf.Tensor4D[]): tf.Tensor4D[] {
  const f = cfg.fpn_channels;
  const laterals = cs.map((c, i) =>
    conv(p, `fpn/lateral${i + 2}`, c, f, 1, 1, { bias: true, std: Math.sqrt(1 / c.shape[3]) }),
  );
  const merged: tf.Tensor4D[] = new Array(4);
  merged[3] = laterals[3];
  for (let i = 2; i >= 0; i--) merged[i] = tf.add(laterals[i], upsample2(merged[i + 1]));
  const outs = merged.map((m, i) =>
    conv(p, `fpn/output${i + 2}`, m, f, 3, 1, { bias: true, std: Math.sqrt(1 / (9 * f)) }),
  );
  outs.push(subsample2(outs[3]));
  return outs;
}

/**
 * RPN outputs per level (anchors ordered y, x, anchor). Kept per level rather than concatenated:
 * the gradient of a concat is a split, which wasm runs slowly on these shapes.
 */
export interface RpnOutput {
  /** Per level `[N, A_l]` objectness logits. */
  logits: tf.Tensor2D[];
  /** Per level `[N, A_l, 4]` box deltas (dx, dy, dw, dh). */
  deltas: tf.Tensor3D[];
}

/** The RPN head, shared by all levels: 3x3 conv + ReLU, then 1x1 objectness and 1x1 box deltas. */
export function rpnHead(p: ParamStore, cfg: FpnConfig, ps: tf.Tensor4D[]): RpnOutput {
  const a = cfg.anchor_ratios.length;
  const logits: tf.Tensor2D[] = [];
  const deltas: tf.Tensor3D[] = [];
  for (const x of ps) {
    const [n, h, w] = x.shape;
    const t = tf.relu(conv(p, 'rpn/conv', x, cfg.fpn_channels, 3, 1, { bias: true, std: 0.01 }));
    logits.push(tf.reshape(conv(p, 'rpn/cls', t, a, 1, 1, { bias: true, std: 0.01 }), [n, h * w * a]));
    deltas.push(tf.reshape(conv(p, 'rpn/box', t, 4 * a, 1, 1, { bias: true, std: 0.01 }), [n, h * w * a, 4]));
  }
  return { logits, deltas };
}

/** Box head output for R regions. */
export interface BoxHeadOutput {
  /** `[R, K + 1]`, class 0 is background. */
  clsLogits: tf.Tensor2D;
  /** `[R, 4K]` class-specific deltas. */
  deltas: tf.Tensor2D;
}

/** Two-FC box head with softmax classification and class-specific regression. */
export function boxHead(
  p: ParamStore,
  cfg: FpnConfig,
  pooled: tf.Tensor4D,
  numClasses: number,
): BoxHeadOutput {
  const [r, s, , c] = pooled.shape;
  const flat = tf.reshape(pooled, [r, s * s * c]) as tf.Tensor2D;
  const h1 = tf.relu(dense(p, 'head/fc1', flat, cfg.fc_dim));
  const h2 = tf.relu(dense(p, 'head/fc2', h1, cfg.fc_dim));
  return {
    clsLogits: dense(p, 'head/cls', h2, numClasses + 1, 0.01),
    deltas: dense(p, 'head/box', h2, 4 * numClasses, 0.001),
  };
}
