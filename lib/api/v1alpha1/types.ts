/**
 * SingleTaskLearningJob API types. The interfaces are generated from the CRD (generated-types.ts);
 * this module adds the few types that are not part of the schema.
 */
import type { DefaultedSingleTaskLearningJobSpec, SingleTaskLearningJob } from './generated-types.js';

export type * from './generated-types.js';
export type { ObjectMeta, OwnerReference } from './object-meta.js';

/** A job whose spec went through `withDefaults`, as the operator works on it. */
export type DefaultedSingleTaskLearningJob = Omit<SingleTaskLearningJob, 'spec'> & {
  spec: DefaultedSingleTaskLearningJobSpec;
};

/** A list response (`GET .../singletasklearningjobs`). */
export interface SingleTaskLearningJobList {
  apiVersion: string;
  kind: 'SingleTaskLearningJobList';
  metadata: { resourceVersion?: string; continue?: string };
  items: SingleTaskLearningJob[];
}

/** What a caller gives `setCondition`: the time and generation are filled in by the helper. */
export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message?: string;
  /** The generation this condition reflects, when older than the object's (e.g. a round trained from it). */
  observedGeneration?: number;
}
