import type { DefaultedEvaluationSpec } from '../../lib/api/v1alpha1/index.js';

/** Outcome of comparing a trained model with the deployed baseline. */
export interface EvaluationDecision {
  accept: boolean;
  value: number | undefined;
  baseline: number | null;
  message: string;
}

/**
 * Ianvs's rule: deploy when `new <operator> baseline + minImprovement`. With no baseline (round 0,
 * or a deployed model never evaluated) the model is accepted; a result without the metric is not.
 */
export function evaluateModel(
  spec: DefaultedEvaluationSpec,
  metrics: Record<string, number>,
  baseline: number | null,
): EvaluationDecision {
  const value = metrics[spec.metric];
  if (typeof value !== 'number' || Number.isNaN(value)) {
    return { accept: false, value: undefined, baseline, message: `the result has no ${spec.metric}` };
  }
  if (baseline === null)
    return { accept: true, value, baseline, message: `${spec.metric}=${value} (no baseline)` };
  const bar = baseline + spec.minImprovement;
  const accept = spec.operator === '>' ? value > bar : value >= bar;
  // A negative minImprovement is a tolerance: "0.9 - 0.05" reads better than "0.9 + -0.05".
  const margin = `${spec.minImprovement < 0 ? '-' : '+'} ${Math.abs(spec.minImprovement)}`;
  return {
    accept,
    value,
    baseline,
    message: `${spec.metric}=${value} ${accept ? '' : 'not '}${spec.operator} ${baseline} ${margin}`,
  };
}
