/** Short side of the frame Ianvs's FPN predicts in, and its metric compares in. */
export const IANVS_SHORT_SIDE = 640;

/**
 * Size of the frame where the short side is `shortSide`, computed with Ianvs's integer arithmetic
 * (`new_w = 640 * w // h` when `h < w`, else `new_h = 640 * h // w`). Square images map to 640x640.
 */
export function ianvsFrameSize(
  width: number,
  height: number,
  shortSide = IANVS_SHORT_SIDE,
): { width: number; height: number } {
  return height < width
    ? { width: Math.floor((shortSide * width) / height), height: shortSide }
    : { width: shortSide, height: Math.floor((shortSide * height) / width) };
}

/**
 * A ground-truth box as the Ianvs metric sees it, `[ymin, xmin, ymax, xmax]` in the 640 frame:
 * first clamped as FPN_TensorFlow's XML reader does (`xmin <= 0 -> 1`, `ymin <= 0 -> 1`,
 * `xmax >= W -> W-1`, `ymax >= H -> H-1`; note a one-sided rule, not a full clamp), then rescaled
 * with integer floor division (`x * new_w // w`). Coordinates are truncated to integers first,
 * as the reader stores them as int32.
 */
export function ianvsGroundTruthBox(
  box: { xmin: number; ymin: number; xmax: number; ymax: number },
  width: number,
  height: number,
  shortSide = IANVS_SHORT_SIDE,
): [number, number, number, number] {
  let xmin = Math.trunc(box.xmin);
  let ymin = Math.trunc(box.ymin);
  let xmax = Math.trunc(box.xmax);
  let ymax = Math.trunc(box.ymax);
  if (xmin <= 0) xmin = 1;
  if (ymin <= 0) ymin = 1;
  if (xmax >= width) xmax = width - 1;
  if (ymax >= height) ymax = height - 1;
  const frame = ianvsFrameSize(width, height, shortSide);
  const sx = (v: number): number => Math.floor((v * frame.width) / width);
  const sy = (v: number): number => Math.floor((v * frame.height) / height);
  return [sy(ymin), sx(xmin), sy(ymax), sx(xmax)];
}
