import type { DefaultedTriggerSpec } from '../../lib/api/v1alpha1/index.js';
import { REASON } from '../../lib/api/v1alpha1/index.js';
import { msUntilWindowOpens } from './window.js';

/** The trigger decision for a Serving job. */
export interface TriggerDecision {
  fire: boolean;
  reason: string;
  message: string;
  /** When to look again if it did not fire. */
  requeueAfterMs: number;
}

/**
 * Decides whether a new round starts: enough labeled samples since the last round
 * (`labeled - used >= minNewSamples`) and inside the daily window. Re-checked every
 * `checkPeriodSeconds`, or sooner when the window opens earlier than that.
 */
export function evaluateTrigger(
  trigger: DefaultedTriggerSpec,
  labeled: number,
  used: number,
  now: Date,
): TriggerDecision {
  const period = trigger.checkPeriodSeconds * 1000;
  const fresh = Math.max(0, labeled - used);
  if (fresh < trigger.minNewSamples) {
    return {
      fire: false,
      reason: REASON.TriggerNotMet,
      message: `${fresh}/${trigger.minNewSamples} new labeled samples`,
      requeueAfterMs: period,
    };
  }
  const wait = msUntilWindowOpens(trigger.window, now);
  if (wait > 0) {
    return {
      fire: false,
      reason: REASON.OutsideWindow,
      message: `${fresh} new labeled samples; waiting for the window ${trigger.window!.start}-${trigger.window!.end} UTC`,
      requeueAfterMs: Math.min(period, wait),
    };
  }
  return {
    fire: true,
    reason: REASON.TrainingQueued,
    message: `${fresh} new labeled samples`,
    requeueAfterMs: 0,
  };
}
