import { UsageError } from '../../../../lib/errors/index.js';
import {
  allAnchors,
  decodeInto,
  encodeInto,
  iou,
  nms,
  topK,
} from '../../../../lib/builtin-algorithms/fpn/box-utils.js';
import { levelSizes } from '../../../../lib/builtin-algorithms/fpn/batch-maker.js';
import { resolveConfig } from '../../../../lib/builtin-algorithms/fpn/config.js';
import { makeRng } from '../../../../lib/random.js';
import { proposals, roiLevel } from '../../../../lib/builtin-algorithms/fpn/proposals.js';
import { learningRate } from '../../../../lib/builtin-algorithms/fpn/sgd.js';
import { ROI_BOX_WEIGHTS, rpnTargets, sampleRois } from '../../../../lib/builtin-algorithms/fpn/targets.js';
import { randomCrop, type TrainImage } from '../../../../lib/builtin-algorithms/fpn/train-data.js';

describe('config', () => {
  it('applies the preset, then the given keys, coercing YAML-ish values', () => {
    const c = resolveConfig({ preset: 'tiny', learning_rate: '0.05', anchor_ratios: '0.5,2', flip: 'false' });
    expect(c).toMatchObject({
      preset: 'tiny',
      short_side: 96,
      learning_rate: 0.05,
      anchor_ratios: [0.5, 2],
      flip: false,
    });
    expect(resolveConfig().short_side).toBe(640);
    expect(resolveConfig().nms_iou).toBe(0.2);
    expect(resolveConfig().score_threshold).toBe(0.5);
  });

  it('names the valid values of a bad one', () => {
    expect(() => resolveConfig({ preset: 'huge' })).toThrow(/default, quick, tiny/);
    expect(() => resolveConfig({ backbone: 'vgg' })).toThrow(UsageError);
    expect(() => resolveConfig({ crop_size: 100 })).toThrow(/multiple of 32/);
    expect(() => resolveConfig({ max_iteration: 'lots' })).toThrow(/max_iteration must be a number/);
  });
});

describe('learning rate', () => {
  const cfg = { learning_rate: 0.1, warmup_iterations: 10, lr_steps: [0.5, 0.8], lr_gamma: 0.1 };
  it('warms up linearly from a tenth, then steps down at fractions of the run', () => {
    expect(learningRate(0, 0, cfg)).toBeCloseTo(0.01);
    expect(learningRate(5, 0.05, cfg)).toBeCloseTo(0.055);
    expect(learningRate(20, 0.2, cfg)).toBeCloseTo(0.1);
    expect(learningRate(60, 0.6, cfg)).toBeCloseTo(0.01);
    expect(learningRate(90, 0.9, cfg)).toBeCloseTo(0.001);
  });
});

describe('boxes', () => {
  it('encode then decode is the identity', () => {
    const src = Float32Array.from([10, 20, 50, 30]);
    const dst = Float32Array.from([12, 18, 47, 35]);
    const d = new Float32Array(4);
    encodeInto(d, 0, src, 0, dst, 0, ROI_BOX_WEIGHTS);
    const out = new Float32Array(4);
    decodeInto(out, 0, src, 0, d, 0, ROI_BOX_WEIGHTS, 100, 100);
    expect(Array.from(out).map((v) => +v.toFixed(3))).toEqual([12, 18, 47, 35]);
  });

  it('nms keeps the best of overlapping boxes and stops at maxOut', () => {
    const b = Float32Array.from([0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 40, 40, 50, 50]);
    expect(nms(b, [0, 1, 2, 3], 0.5, 10)).toEqual([0, 2, 3]);
    expect(nms(b, [1, 0, 2, 3], 0.5, 2)).toEqual([1, 2]);
    expect(nms(b, [0, 1], 0.9, 10)).toEqual([0, 1]);
  });

  it('topK returns the k largest in order', () => {
    const s = Float32Array.from([0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8]);
    expect(topK(s, 0, 7, 3)).toEqual([1, 6, 3]);
    expect(topK(s, 2, 5, 5)).toEqual([3, 4, 2]);
  });

  it('the FPN level of a region follows its size (P2 for the small PCB defects)', () => {
    expect(roiLevel(0, 0, 40, 10)).toBe(0);
    expect(roiLevel(0, 0, 224, 224)).toBe(2);
    expect(roiLevel(0, 0, 1000, 1000)).toBe(3);
  });

  it('default anchors give every thin PCB-sized box, in both orientations, an anchor with IoU >= 0.5', () => {
    const cfg = resolveConfig();
    const { anchors } = allAnchors(levelSizes(320), [4, 8, 16, 32, 64], cfg.anchor_sizes, cfg.anchor_ratios);
    for (const [w, h] of [
      [30, 8],
      [45, 13],
      [8, 30],
      [13, 45],
      [38, 10],
    ]) {
      const gt = Float32Array.from([101, 77, 101 + w, 77 + h]);
      let best = 0;
      for (let i = 0; i < anchors.length / 4; i++) best = Math.max(best, iou(anchors, i, gt, 0));
      expect(best).toBeGreaterThanOrEqual(0.5);
    }
  });
});

describe('targets', () => {
  it('rpnTargets samples at most batch anchors, half positive at most, with box targets on positives', () => {
    const { anchors } = allAnchors(levelSizes(64), [4, 8, 16, 32, 64], [16, 32, 64, 128, 256], [0.5, 1, 2]);
    const gt = { boxes: Float32Array.from([10, 10, 40, 22]), labels: Int32Array.from([2]) };
    const t = rpnTargets(anchors, gt, { batch: 32, posFraction: 0.5, posIou: 0.6, negIou: 0.3 }, makeRng(3));
    const pos = t.labels.reduce((a, v) => a + v, 0);
    expect(pos).toBeGreaterThanOrEqual(1);
    expect(pos).toBeLessThanOrEqual(16);
    expect(t.weights.reduce((a, v) => a + v, 0)).toBe(32);
    for (let i = 0; i < t.labels.length; i++) if (t.labels[i] === 0) expect(t.boxWeights[i]).toBe(0);
  });

  it('sampleRois always includes the ground truth as foreground with its class', () => {
    const gt = {
      boxes: Float32Array.from([10, 10, 40, 22, 50, 50, 60, 80]),
      labels: Int32Array.from([2, 1]),
    };
    const s = sampleRois(
      Float32Array.from([0, 0, 5, 5, 70, 70, 90, 90]),
      gt,
      { batch: 8, posFraction: 0.5, posIou: 0.5 },
      makeRng(1),
    );
    expect(Array.from(s.labels).sort()).toEqual([0, 0, 1, 2]);
    expect(Array.from(s.deltas.subarray(0, 4))).toEqual([0, 0, 0, 0]);
  });

  it('proposals are clipped to the image and sorted by objectness', () => {
    const { anchors, levelStart } = allAnchors(
      levelSizes(64),
      [4, 8, 16, 32, 64],
      [16, 32, 64, 128, 256],
      [1],
    );
    const n = anchors.length / 4;
    const logits = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const p = proposals(logits, new Float32Array(n * 4), anchors, levelStart, 64, 48, {
      preTopK: 50,
      postTopK: 20,
      nmsIou: 0.7,
    });
    expect(p.scores.length).toBeLessThanOrEqual(20);
    for (let i = 1; i < p.scores.length; i++) expect(p.scores[i]).toBeLessThanOrEqual(p.scores[i - 1]);
    for (let i = 0; i < p.boxes.length; i += 4) {
      expect(p.boxes[i]).toBeGreaterThanOrEqual(0);
      expect(p.boxes[i + 3]).toBeLessThanOrEqual(48);
    }
  });
});

describe('randomCrop', () => {
  it('moves boxes with the pixels under flips and transposes', () => {
    // A 40x30 image, black, with one white box: x 5..15, y 10..14.
    const w = 40;
    const h = 30;
    const data = new Uint8Array(w * h * 3);
    for (let y = 10; y < 14; y++)
      for (let x = 5; x < 15; x++) data.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const img: TrainImage = {
      name: 'x',
      data,
      width: w,
      height: h,
      gt: { boxes: Float32Array.from([5, 10, 15, 14]), labels: Int32Array.from([1]) },
    };
    const rng = makeRng(11);
    for (let k = 0; k < 20; k++) {
      const c = randomCrop(img, { size: 32, onObject: 1, flip: true, transpose: true }, rng);
      expect(c.gt.labels.length).toBe(1);
      const [x1, y1, x2, y2] = c.gt.boxes;
      let white = 0;
      let mismatches = 0;
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const inside = x >= x1 && x < x2 && y >= y1 && y < y2;
          const isWhite = c.data[(y * 32 + x) * 3] === 255;
          if (isWhite !== inside) mismatches++;
          if (isWhite) white++;
        }
      }
      expect(mismatches).toBe(0);
      expect(white).toBe(40);
    }
  });
});

describe('weights across threads', () => {
  it('packTensors / unpackInto round-trip every weight in ParamStore order', async () => {
    const { initBackend } = await import('../../../../lib/tf/index.js');
    const { ParamStore } = await import('../../../../lib/builtin-algorithms/fpn/params.js');
    const { packTensors, unpackInto } = await import('../../../../lib/builtin-algorithms/fpn/gradients.js');
    await initBackend('wasm');
    const a = new ParamStore(1);
    a.weight('w', [2, 3]);
    a.constant('b', [3], 0.5);
    const b = new ParamStore(2);
    b.weight('w', [2, 3]);
    b.constant('b', [3], 0);
    const flat = packTensors(a, a.named());
    expect(flat.length).toBe(9);
    unpackInto(b, flat);
    expect(Array.from(b.get('w').dataSync())).toEqual(Array.from(a.get('w').dataSync()));
    expect(Array.from(b.get('b').dataSync())).toEqual([0.5, 0.5, 0.5]);
    expect(() => unpackInto(b, new Float32Array(10))).toThrow(/layout mismatch/);
    a.dispose();
    b.dispose();
  });
});
