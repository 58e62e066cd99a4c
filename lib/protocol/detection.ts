import { Type, type Static } from '@sinclair/typebox';

/**
 * One detection as every part of the system passes it: the algorithm contract's `detect()`, the
 * agent's `/v1/infer` reply and result deliveries, the sample record and the labeling API.
 */

/** A box in original image pixels. */
export const Box = Type.Object({
  xmin: Type.Number(),
  ymin: Type.Number(),
  xmax: Type.Number(),
  ymax: Type.Number(),
});
export type Box = Static<typeof Box>;

/** Class name, score in [0, 1], box in original image pixels. */
export const Detection = Type.Object({ class: Type.String(), score: Type.Number(), box: Box });
export type Detection = Static<typeof Detection>;
