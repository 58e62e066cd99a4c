import type { Rgb } from './raster.js';

/**
 * How one production line's camera sees its boards. Line 1 is the seed line (green mask, silver
 * legs, even light, sharp); line 2 is a new line of the same product with another look (blue or
 * black mask, gold legs, another zoom, uneven light, blur, stronger JPEG, subtler defects): the
 * gap single-task learning at the edge has to close.
 */
export interface ProductionLine {
  id: 1 | 2;
  masks: Rgb[];
  leg: Rgb;
  /** Per-leg colour jitter (channels). */
  legJitter: number;
  /** Zoom ranges; one is picked per image, then a value inside it. */
  zooms: Array<[number, number]>;
  /** Light field: the gain at the darkest corner and the brightest, picked per image. */
  lightRange: [number, number];
  noise: number;
  /** Gaussian blur sigma range (0: none). */
  blur: [number, number];
  jpegQuality: [number, number];
  /** How far a defect departs from a good leg, 1 = as on line 1. */
  defectContrast: number;
}

export const PRODUCTION_LINES: Record<1 | 2, ProductionLine> = {
  1: {
    id: 1,
    masks: [[32, 122, 66]],
    leg: [228, 228, 222],
    legJitter: 14,
    zooms: [[0.95, 1.05]],
    lightRange: [0.96, 1.04],
    noise: 4,
    blur: [0, 0],
    jpegQuality: [90, 92],
    defectContrast: 1,
  },
  2: {
    id: 2,
    masks: [
      [26, 52, 118],
      [24, 26, 28],
    ],
    leg: [214, 182, 92],
    legJitter: 10,
    zooms: [
      [0.7, 0.85],
      [1.15, 1.35],
    ],
    lightRange: [0.55, 1.2],
    noise: 6,
    blur: [0.5, 1.0],
    jpegQuality: [60, 80],
    defectContrast: 0.75,
  },
};

export const DEFECT_CLASSES = ['Bad_podu', 'Bad_qiaojiao'] as const;
