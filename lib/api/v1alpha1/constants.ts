import type {
  CleanupPolicy,
  ConditionStatus,
  EdgeModelState,
  EdgeNodeState,
  ModelRecordState,
  Phase,
  RolloutPhase,
  SamplingStrategy,
  TrainingState,
} from './generated-types.js';

/** API group of the CRD. */
export const GROUP = 'edgestl.io';
/** Served and storage version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` of a SingleTaskLearningJob. */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Kind of the resource. */
export const KIND = 'SingleTaskLearningJob';
/** Kind of a list of the resource. */
export const LIST_KIND = 'SingleTaskLearningJobList';
/** Resource name in URLs. */
export const PLURAL = 'singletasklearningjobs';
/** Singular name (kubectl). */
export const SINGULAR = 'singletasklearningjob';
/** `kubectl get stlj`. */
export const SHORT_NAMES = ['stlj'] as const;
/** Name of the CustomResourceDefinition object. */
export const CRD_NAME = `${PLURAL}.${GROUP}`;
/** Finalizer the operator puts on every job so deletion can clean up. */
export const FINALIZER = 'edgestl.io/finalizer';

/** Keys of the `spec.storage.credentialsSecret` Secret. */
export const CREDENTIALS_SECRET_KEYS = { accessKey: 'accessKey', secretKey: 'secretKey' } as const;

// Bounds of the status lists: the CRD's `maxItems` (test/crds/crd.test.ts checks they agree).
/** Most entries kept in `status.models`; the operator drops the oldest non-deployed ones beyond it. */
export const MAX_MODEL_HISTORY = 50;
/** Most entries in `status.conditions`. */
export const MAX_CONDITIONS = 16;
/** Most entries in `status.edgeNodes`. */
export const MAX_EDGE_NODES = 1000;

/** Identity map of a string union, so `PHASE.Serving` is checked against the schema's enum. */
type Values<T extends string> = { readonly [K in T]: K };

/** Lifecycle phases (`status.phase`). */
export const PHASE = {
  Pending: 'Pending',
  Initializing: 'Initializing',
  Serving: 'Serving',
  Training: 'Training',
  Evaluating: 'Evaluating',
  Deploying: 'Deploying',
  Completed: 'Completed',
  Failed: 'Failed',
  Suspended: 'Suspended',
} as const satisfies Values<Phase>;

/** Phases a job does not leave by itself. */
export const TERMINAL_PHASES: readonly Phase[] = [PHASE.Completed, PHASE.Failed];

/** Condition statuses. */
export const CONDITION_STATUS = {
  True: 'True',
  False: 'False',
  Unknown: 'Unknown',
} as const satisfies Values<ConditionStatus>;

/** Condition types; one entry per type in `status.conditions`. */
export const CONDITION_TYPE = {
  /** The job serves a model on the edge and is healthy. */
  Ready: 'Ready',
  /** A training round is queued or running. */
  Training: 'Training',
  /** The current model is deployed on every selected node. */
  ModelDeployed: 'ModelDeployed',
  /** Every selected edge node reports the desired model loaded. */
  EdgeSynced: 'EdgeSynced',
  /** The spec failed validation; the user must fix it. */
  InvalidSpec: 'InvalidSpec',
  /** The job ended in failure (backoffLimit, deadline). */
  Failed: 'Failed',
} as const;
export type ConditionType = (typeof CONDITION_TYPE)[keyof typeof CONDITION_TYPE];

/** CamelCase reasons for conditions and Events. */
export const REASON = {
  // Initializing
  Initializing: 'Initializing',
  SpecValid: 'SpecValid',
  SpecInvalid: 'SpecInvalid',
  SecretNotFound: 'SecretNotFound',
  BucketNotFound: 'BucketNotFound',
  DatasetNotFound: 'DatasetNotFound',
  InitialModelNotFound: 'InitialModelNotFound',
  InitialTraining: 'InitialTraining',
  // Serving and triggers
  Serving: 'Serving',
  TriggerNotMet: 'TriggerNotMet',
  OutsideWindow: 'OutsideWindow',
  // Training and evaluation
  TrainingQueued: 'TrainingQueued',
  TrainingRunning: 'TrainingRunning',
  TrainingSucceeded: 'TrainingSucceeded',
  TrainingFailed: 'TrainingFailed',
  /** A spec change that shapes training cancelled the running round; it is trained again. */
  TrainingRestarted: 'TrainingRestarted',
  ModelAccepted: 'ModelAccepted',
  ModelRejected: 'ModelRejected',
  ModelPinned: 'ModelPinned',
  // Rollout and edge
  RolloutStarted: 'RolloutStarted',
  CanaryStarted: 'CanaryStarted',
  CanaryFailed: 'CanaryFailed',
  RolloutPromoted: 'RolloutPromoted',
  RolloutCompleted: 'RolloutCompleted',
  RolledBack: 'RolledBack',
  AllNodesSynced: 'AllNodesSynced',
  NodesOutOfSync: 'NodesOutOfSync',
  NodesStale: 'NodesStale',
  NoEdgeNodes: 'NoEdgeNodes',
  /** The API server rejected the status the operator computed (422). */
  StatusRejected: 'StatusRejected',
  // End of the job
  Suspended: 'Suspended',
  MaxRoundsReached: 'MaxRoundsReached',
  BackoffLimitExceeded: 'BackoffLimitExceeded',
  DeadlineExceeded: 'DeadlineExceeded',
  Deleting: 'Deleting',
} as const;
export type Reason = (typeof REASON)[keyof typeof REASON];

/** `status.models[].state` values. */
export const MODEL_STATE = {
  Deployed: 'Deployed',
  Rejected: 'Rejected',
  RolledBack: 'RolledBack',
  Superseded: 'Superseded',
} as const satisfies Values<ModelRecordState>;

/** `status.edgeNodes[].state` values. */
export const EDGE_NODE_STATE = { Online: 'Online', Stale: 'Stale' } as const satisfies Values<EdgeNodeState>;

/** `status.edgeNodes[].modelState` values (the heartbeat's model state). */
export const EDGE_MODEL_STATE = {
  Loading: 'Loading',
  Loaded: 'Loaded',
  FailedToLoad: 'FailedToLoad',
} as const satisfies Values<EdgeModelState>;

/** `status.training.state` values. */
export const TRAINING_STATE = {
  Queued: 'Queued',
  Active: 'Active',
  Completed: 'Completed',
  Failed: 'Failed',
} as const satisfies Values<TrainingState>;

/** `status.rollout.phase` values. */
export const ROLLOUT_PHASE = {
  Canary: 'Canary',
  Promoted: 'Promoted',
  Completed: 'Completed',
  RolledBack: 'RolledBack',
} as const satisfies Values<RolloutPhase>;

/** `spec.edge.sampling.strategy` values. */
export const SAMPLING_STRATEGY = {
  ibt: 'ibt',
  all: 'all',
  random: 'random',
  none: 'none',
} as const satisfies Values<SamplingStrategy>;

/** `spec.cleanupPolicy` values. */
export const CLEANUP_POLICY = { Retain: 'Retain', Delete: 'Delete' } as const satisfies Values<CleanupPolicy>;

/** Published model versions are `v<round>`. */
export function modelVersion(round: number): string {
  return `v${round}`;
}
