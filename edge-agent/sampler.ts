import { ClassFactory, ClassType, type HardExampleFilter } from '../lib/algorithm-api/index.js';
import type { Detection } from '../lib/algorithm-api/index.js';
import type { SamplingSettings } from '../lib/protocol/index.js';

/** Why an image was kept or not. */
export type SampleDecision =
  | { keep: true; reason: 'hard' | 'all' | 'random' }
  | { keep: false; reason: 'easy' | 'none' | 'not-drawn' | 'budget' };

const WINDOW_MS = 60_000;
export const DEFAULT_RANDOM_RATE = 0.1;

/**
 * Decides after each inference whether the image is kept for labeling: the job's strategy
 * (`ibt` through the registered IBT hard-example filter, `all`, `random`, `none`), then a sliding
 * one-minute budget of `maxPerMinute` kept images (0: no limit) so a busy camera cannot flood the uplink.
 */
export class Sampler {
  private settings: SamplingSettings;
  private filter: HardExampleFilter;
  private readonly keptAt: number[] = [];

  constructor(
    settings: SamplingSettings,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    this.settings = settings;
    this.filter = makeFilter(settings);
  }

  /** Applies new settings (from a heartbeat reply); the budget window carries over. */
  update(settings: SamplingSettings): void {
    this.settings = settings;
    this.filter = makeFilter(settings);
  }

  get current(): SamplingSettings {
    return this.settings;
  }

  decide(detections: readonly Detection[]): SampleDecision {
    const wanted = this.strategyDecision(detections);
    if (!wanted.keep) return wanted;
    const now = this.now();
    while (this.keptAt.length > 0 && this.keptAt[0] <= now - WINDOW_MS) this.keptAt.shift();
    const budget = this.settings.maxPerMinute; // 0 means no limit, as in the CRD
    if (budget > 0 && this.keptAt.length >= budget) return { keep: false, reason: 'budget' };
    this.keptAt.push(now);
    return wanted;
  }

  private strategyDecision(detections: readonly Detection[]): SampleDecision {
    switch (this.settings.strategy) {
      case 'all':
        return { keep: true, reason: 'all' };
      case 'none':
        return { keep: false, reason: 'none' };
      case 'random':
        return this.random() < (this.settings.randomRate ?? DEFAULT_RANDOM_RATE)
          ? { keep: true, reason: 'random' }
          : { keep: false, reason: 'not-drawn' };
      case 'ibt':
        return this.filter.isHard(detections)
          ? { keep: true, reason: 'hard' }
          : { keep: false, reason: 'easy' };
    }
  }
}

function makeFilter(settings: SamplingSettings): HardExampleFilter {
  const Filter = ClassFactory.get<
    new (o: { thresholdImg: number; thresholdBox: number }) => HardExampleFilter
  >(ClassType.HEM, 'IBT');
  return new Filter({ thresholdImg: settings.thresholdImg, thresholdBox: settings.thresholdBox });
}
