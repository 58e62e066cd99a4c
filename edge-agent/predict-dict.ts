import type { Detection, PredictDict } from '../lib/algorithm-api/index.js';

/** Ianvs scores boxes in the frame where the image's short side is this many pixels. */
export const IANVS_SHORT_SIDE = 640;

/**
 * Detections in original pixels from one image's `predict_dict` entry, so that `?format=ianvs`
 * needs one model call and still feeds the sampler and result sinks.
 */
export function detectionsFromPredictDict(
  dict: PredictDict,
  name: string,
  width: number,
  height: number,
): Detection[] {
  const scale = Math.min(width, height) / IANVS_SHORT_SIDE;
  const out: Detection[] = [];
  for (const { name: cls, bbox } of dict[name] ?? []) {
    for (const [ymin, xmin, ymax, xmax, score] of bbox) {
      out.push({
        class: cls,
        score,
        box: { xmin: xmin * scale, ymin: ymin * scale, xmax: xmax * scale, ymax: ymax * scale },
      });
    }
  }
  return out;
}
