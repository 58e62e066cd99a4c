import { Type, type Static } from '@sinclair/typebox';
import { EdgeStlError } from '../lib/errors/index.js';

/** A labeled box: class name and VOC pixel coordinates (1-based, inclusive, integers). */
export const LabelBoxSchema = Type.Object(
  {
    class: Type.String({ minLength: 1, maxLength: 128 }),
    xmin: Type.Integer({ minimum: 1 }),
    ymin: Type.Integer({ minimum: 1 }),
    xmax: Type.Integer({ minimum: 1 }),
    ymax: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);

export type LabelBox = Static<typeof LabelBoxSchema>;

/** How a sample got its labels, recorded in its sidecar. */
export const LABEL_METHODS = ['manual', 'oracle', 'teacher'] as const;
export type LabelMethod = (typeof LABEL_METHODS)[number];

/**
 * Checks what a JSON schema cannot: every box inside the image, min < max, and a class of the job.
 * Throws {@link EdgeStlError} `INVALID_LABELS` listing every bad box.
 */
export function assertValidBoxes(
  boxes: LabelBox[],
  size: { width: number; height: number },
  classes: readonly string[],
): void {
  const problems: string[] = [];
  boxes.forEach((b, i) => {
    if (!classes.includes(b.class))
      problems.push(`box ${i}: unknown class "${b.class}" (known: ${classes.join(', ')})`);
    if (b.xmin >= b.xmax || b.ymin >= b.ymax)
      problems.push(`box ${i}: min must be below max (${b.xmin},${b.ymin},${b.xmax},${b.ymax})`);
    if (b.xmax > size.width || b.ymax > size.height) {
      problems.push(
        `box ${i}: outside the ${size.width}x${size.height} image (${b.xmin},${b.ymin},${b.xmax},${b.ymax})`,
      );
    }
  });
  if (problems.length > 0) throw new EdgeStlError('INVALID_LABELS', problems.join('; '));
}

/**
 * Turns a detection box (continuous pixel coordinates, 0-based) into a VOC box clamped to the image,
 * or null when nothing of it is left.
 */
export function detectionToLabelBox(
  cls: string,
  box: { xmin: number; ymin: number; xmax: number; ymax: number },
  size: { width: number; height: number },
): LabelBox | null {
  const xmin = clamp(Math.round(box.xmin) + 1, 1, size.width);
  const ymin = clamp(Math.round(box.ymin) + 1, 1, size.height);
  const xmax = clamp(Math.round(box.xmax), 1, size.width);
  const ymax = clamp(Math.round(box.ymax), 1, size.height);
  return xmin < xmax && ymin < ymax ? { class: cls, xmin, ymin, xmax, ymax } : null;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
