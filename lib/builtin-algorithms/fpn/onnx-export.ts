import type { FpnConfig } from './config.js';
import { groupsFor } from './layers.js';
import { LEVEL_STRIDES } from './network.js';
import { OnnxGraph } from './onnx-graph.js';
import type { ParamStore } from './params.js';

/** Files the export adds to a model package, and what they compute. */
export const ONNX_FILES = {
  /** Backbone, FPN and RPN head: NCHW image in; P2..P5 (NHWC) and per-level RPN outputs out. */
  features: 'model.onnx',
  /** Box head on ROI-aligned features: class probabilities and class-specific deltas. */
  boxHead: 'box-head.onnx',
} as const;

/** Number of FPN levels the RPN runs on (P2..P6) and of levels ROI Align reads (P2..P5). */
export const RPN_LEVELS = LEVEL_STRIDES.length;
export const ROI_LEVELS = 4;

/**
 * Exports the FPN detector's networks to ONNX, weight for weight from the ParamStore, mirroring
 * network.ts and layers.ts (NHWC there, NCHW here; the outputs are laid out as TF.js lays them
 * out, so anchors, proposals, ROI Align and decoding stay shared TypeScript).
 */
export function exportFpnOnnx(
  params: ParamStore,
  cfg: FpnConfig,
  numClasses: number,
): { features: Uint8Array; boxHead: Uint8Array } {
  return { features: exportFeatures(params, cfg), boxHead: exportBoxHead(params, cfg, numClasses) };
}

function weights(p: ParamStore, name: string): { data: Float32Array; shape: number[] } {
  const v = p.get(name);
  return { data: v.dataSync() as Float32Array, shape: v.shape };
}

/** A network builder over one graph: the layer vocabulary of layers.ts, in NCHW. */
class Layers {
  constructor(
    readonly g: OnnxGraph,
    readonly p: ParamStore,
  ) {}

  /** Channels of a value, tracked as layers are added. */
  readonly channels = new Map<string, number>();

  conv(name: string, x: string, stride = 1, bias = false): string {
    const { data, shape } = weights(this.p, `${name}/w`);
    const [k, , inC, outC] = shape;
    // [k, k, in, out] -> [out, in, k, k]
    const w = new Float32Array(data.length);
    for (let ky = 0; ky < k; ky++)
      for (let kx = 0; kx < k; kx++)
        for (let i = 0; i < inC; i++)
          for (let o = 0; o < outC; o++)
            w[((o * inC + i) * k + ky) * k + kx] = data[((ky * k + kx) * inC + i) * outC + o];
    const inputs = [x, this.g.floats(`${name}/w`, w, [outC, inC, k, k])];
    if (bias) inputs.push(this.g.floats(`${name}/b`, weights(this.p, `${name}/b`).data, [outC]));
    // SAME_UPPER is TF's 'same': the odd pixel of padding goes after.
    const y = this.g.node('Conv', inputs, {
      kernel_shape: [k, k],
      strides: [stride, stride],
      auto_pad: 'SAME_UPPER',
    });
    this.channels.set(y, outC);
    return y;
  }

  dwConv(name: string, x: string, stride: number): string {
    const { data, shape } = weights(this.p, `${name}/w`);
    const c = shape[2];
    // [3, 3, c, 1] -> [c, 1, 3, 3]
    const w = new Float32Array(data.length);
    for (let ky = 0; ky < 3; ky++)
      for (let kx = 0; kx < 3; kx++)
        for (let i = 0; i < c; i++) w[i * 9 + ky * 3 + kx] = data[(ky * 3 + kx) * c + i];
    const y = this.g.node('Conv', [x, this.g.floats(`${name}/w`, w, [c, 1, 3, 3])], {
      kernel_shape: [3, 3],
      strides: [stride, stride],
      group: c,
      auto_pad: 'SAME_UPPER',
    });
    this.channels.set(y, c);
    return y;
  }

  /** GroupNorm as reshape to [N, G, -1] + InstanceNormalization + per-channel affine. */
  groupNorm(name: string, x: string): string {
    const c = this.channels.get(x)!;
    const groups = groupsFor(c);
    const grouped = this.g.node('Reshape', [x, this.g.int64s([0, groups, -1])]);
    const normed = this.g.node(
      'InstanceNormalization',
      [
        grouped,
        this.g.floats(`gn_ones_${groups}`, new Float32Array(groups).fill(1), [groups]),
        this.g.floats(`gn_zeros_${groups}`, new Float32Array(groups), [groups]),
      ],
      { epsilon: 1e-5 },
    );
    const back = this.g.node('Reshape', [normed, this.g.node('Shape', [x])]);
    const gamma = this.g.floats(`${name}/gamma`, weights(this.p, `${name}/gamma`).data, [c, 1, 1]);
    const beta = this.g.floats(`${name}/beta`, weights(this.p, `${name}/beta`).data, [c, 1, 1]);
    const y = this.g.node('Add', [this.g.node('Mul', [back, gamma]), beta]);
    this.channels.set(y, c);
    return y;
  }

  convGn(name: string, x: string, stride = 1, relu = true): string {
    const y = this.groupNorm(`${name}/gn`, this.conv(name, x, stride));
    return relu ? this.relu(y) : y;
  }

  relu(x: string): string {
    return this.keep(x, this.g.node('Relu', [x]));
  }

  relu6(x: string): string {
    const lo = this.g.floats('relu6_lo', new Float32Array([0]), []);
    const hi = this.g.floats('relu6_hi', new Float32Array([6]), []);
    return this.keep(x, this.g.node('Clip', [x, lo, hi]));
  }

  add(a: string, b: string): string {
    return this.keep(a, this.g.node('Add', [a, b]));
  }

  /** Same channels as `from`. */
  keep(from: string, y: string): string {
    this.channels.set(y, this.channels.get(from)!);
    return y;
  }
}

function resnet(l: Layers, cfg: FpnConfig, x: string): string[] {
  let y = l.convGn('stem/conv1', x, 2);
  y = l.convGn('stem/conv2', y, 2);
  const outs: string[] = [];
  for (let s = 0; s < 4; s++) {
    for (let b = 0; b < cfg.resnet_blocks[s]; b++) {
      const name = `res${s + 2}/block${b}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      const y1 = l.convGn(`${name}/conv1`, y, stride);
      const y2 = l.convGn(`${name}/conv2`, y1, 1, false);
      const outC = l.channels.get(y2)!;
      const shortcut =
        stride !== 1 || l.channels.get(y) !== outC ? l.convGn(`${name}/proj`, y, stride, false) : y;
      y = l.relu(l.add(y2, shortcut));
    }
    outs.push(y);
  }
  return outs;
}

function mobilenetV2(l: Layers, p: ParamStore, x: string): string[] {
  const groups: Array<[number, number, number, boolean]> = [
    [1, 1, 1, false],
    [6, 2, 2, true],
    [6, 3, 2, true],
    [6, 4, 2, false],
    [6, 3, 1, true],
    [6, 3, 2, false],
    [6, 1, 1, true],
  ];
  let y = l.relu6(l.groupNorm('stem/gn', l.conv('stem', x, 2)));
  const outs: string[] = [];
  groups.forEach(([t, n, s, emit], gi) => {
    for (let i = 0; i < n; i++) {
      const name = `mb${gi}/block${i}`;
      const stride = i === 0 ? s : 1;
      const inC = l.channels.get(y)!;
      const outC = p.get(`${name}/project/w`).shape[3];
      let z = t === 1 ? y : l.convGn(`${name}/expand`, y, 1);
      z = l.relu6(l.groupNorm(`${name}/dw/gn`, l.dwConv(`${name}/dw`, z, stride)));
      z = l.convGn(`${name}/project`, z, 1, false);
      y = stride === 1 && inC === outC ? l.add(z, y) : z;
    }
    if (emit) outs.push(y);
  });
  return outs;
}

function exportFeatures(p: ParamStore, cfg: FpnConfig): Uint8Array {
  const g = new OnnxGraph();
  const l = new Layers(g, p);
  const image = g.input('image', [1, 3, 'height', 'width']);
  l.channels.set(image, 3);
  const cs = cfg.backbone === 'mobilenetv2' ? mobilenetV2(l, p, image) : resnet(l, cfg, image);
  const laterals = cs.map((c, i) => l.conv(`fpn/lateral${i + 2}`, c, 1, true));
  const merged: string[] = new Array(4);
  merged[3] = laterals[3];
  const scales = g.floats('upsample2_scales', new Float32Array([1, 1, 2, 2]), [4]);
  for (let i = 2; i >= 0; i--) {
    // TF's resizeNearestNeighbor (no align corners, no half-pixel centres) is floor(y / 2).
    const up = g.node('Resize', [merged[i + 1], '', scales], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });
    merged[i] = l.add(laterals[i], l.keep(merged[i + 1], up));
  }
  const ps = merged.map((m, i) => l.conv(`fpn/output${i + 2}`, m, 1, true));
  // P6: the even cells of P5 (ceil(h / 2) of them, as subsample2's padding gives).
  ps.push(
    l.keep(
      ps[3],
      g.node('Slice', [
        ps[3],
        g.int64s([0, 0]),
        g.int64s([2 ** 31 - 1, 2 ** 31 - 1]),
        g.int64s([2, 3]),
        g.int64s([2, 2]),
      ]),
    ),
  );
  ps.slice(0, ROI_LEVELS).forEach((pl, i) =>
    g.output(g.node('Transpose', [pl], { perm: [0, 2, 3, 1] }), `p${i + 2}`, [
      1,
      `h${i + 2}`,
      `w${i + 2}`,
      cfg.fpn_channels,
    ]),
  );
  ps.forEach((pl, i) => {
    const t = l.relu(l.conv('rpn/conv', pl, 1, true));
    const cls = g.node('Transpose', [l.conv('rpn/cls', t, 1, true)], { perm: [0, 2, 3, 1] });
    g.output(g.node('Reshape', [cls, g.int64s([0, -1])]), `rpn_logits${i}`, [1, `a${i}`]);
    const box = g.node('Transpose', [l.conv('rpn/box', t, 1, true)], { perm: [0, 2, 3, 1] });
    g.output(g.node('Reshape', [box, g.int64s([0, -1, 4])]), `rpn_deltas${i}`, [1, `a${i}`, 4]);
  });
  return g.encode('fpn-features');
}

function exportBoxHead(p: ParamStore, cfg: FpnConfig, numClasses: number): Uint8Array {
  const g = new OnnxGraph();
  const inDim = cfg.roi_size * cfg.roi_size * cfg.fpn_channels;
  const pooled = g.input('pooled', ['rois', inDim]);
  const dense = (name: string, x: string): string => {
    const w = weights(p, `${name}/w`);
    const b = weights(p, `${name}/b`);
    const y = g.node('MatMul', [x, g.floats(`${name}/w`, w.data, w.shape)]);
    return g.node('Add', [y, g.floats(`${name}/b`, b.data, b.shape)]);
  };
  const h1 = g.node('Relu', [dense('head/fc1', pooled)]);
  const h2 = g.node('Relu', [dense('head/fc2', h1)]);
  g.output(g.node('Softmax', [dense('head/cls', h2)], { axis: 1 }), 'probs', ['rois', numClasses + 1]);
  g.output(dense('head/box', h2), 'deltas', ['rois', 4 * numClasses]);
  return g.encode('fpn-box-head');
}
