import { ClassFactory } from './class-factory.js';
import { ClassType } from './class-type.js';

/** A hard-example filter decides from an inference result whether the image is worth labeling. */
export interface HardExampleFilter {
  isHard(detections: ReadonlyArray<{ score: number }>): boolean;
}

export interface IbtOptions {
  /** Fraction of boxes allowed to be confident for the image to still count as hard. */
  thresholdImg?: number;
  /** A box with score <= this is uncertain. */
  thresholdBox?: number;
}

/**
 * Image-Box-Threshold filter (Sedna's IBT): an image is hard when at least `1 - thresholdImg` of its
 * boxes have score <= `thresholdBox`. No boxes, or any score outside [0, 1], is not hard.
 */
export class IBTFilter implements HardExampleFilter {
  readonly thresholdImg: number;
  readonly thresholdBox: number;

  constructor(options: IbtOptions = {}) {
    this.thresholdImg = options.thresholdImg ?? 0.5;
    this.thresholdBox = options.thresholdBox ?? 0.5;
  }

  isHard(detections: ReadonlyArray<{ score: number }>): boolean {
    if (detections.length === 0) return false;
    if (detections.some((d) => !(d.score >= 0 && d.score <= 1))) return false;
    const uncertain = detections.filter((d) => d.score <= this.thresholdBox).length;
    return uncertain / detections.length >= 1 - this.thresholdImg;
  }
}

ClassFactory.register(ClassType.HEM, 'IBT')(IBTFilter);
