import type { DefaultedSingleTaskLearningJobSpec, SingleTaskLearningJob } from '../lib/api/v1alpha1/index.js';
import { withDefaults } from '../lib/api/v1alpha1/index.js';

const cache = new WeakMap<object, DefaultedSingleTaskLearningJobSpec>();

/**
 * The defaulted spec of a job object, memoised per object: cached jobs are replaced (never mutated)
 * on every change, so heartbeats over many jobs do not re-run schema defaulting.
 */
export function specOf(job: SingleTaskLearningJob): DefaultedSingleTaskLearningJobSpec {
  let spec = cache.get(job);
  if (!spec) {
    spec = withDefaults(job.spec);
    cache.set(job, spec);
  }
  return spec;
}
