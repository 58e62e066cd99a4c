// Generated from crds/singletasklearningjob.yaml by lib/api/v1alpha1/codegen.ts. Do not edit:
// change the CRD, then run `node --import tsx lib/api/v1alpha1/codegen.ts --write`.

import type { ObjectMeta } from './object-meta.js';

/** Values of `spec.edge.tolerations[].operator`. */
export const TOLERATION_OPERATOR_VALUES = ['Exists', 'Equal'] as const;
/**
 * How key and value are compared.
 */
export type TolerationOperator = (typeof TOLERATION_OPERATOR_VALUES)[number];

/** Values of `spec.edge.tolerations[].effect`. */
export const TOLERATION_EFFECT_VALUES = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
/**
 * Taint effect to match; empty matches every effect.
 */
export type TolerationEffect = (typeof TOLERATION_EFFECT_VALUES)[number];

/** Values of `spec.edge.sampling.strategy`. */
export const SAMPLING_STRATEGY_VALUES = ['ibt', 'all', 'random', 'none'] as const;
/**
 * ibt keeps hard examples by the Image-Box-Threshold rule, all keeps every image, random keeps a random share (randomRate), none keeps nothing.
 */
export type SamplingStrategy = (typeof SAMPLING_STRATEGY_VALUES)[number];

/** Values of `spec.labeling.mode`. */
export const LABELING_MODE_VALUES = ['manual', 'auto'] as const;
/**
 * manual waits for a person in the labeling web page; auto labels with the oracle.
 */
export type LabelingMode = (typeof LABELING_MODE_VALUES)[number];

/** Values of `spec.evaluation.operator`. */
export const COMPARISON_OPERATOR_VALUES = ['>=', '>'] as const;
/**
 * Deploy when new <operator> baseline + minImprovement.
 */
export type ComparisonOperator = (typeof COMPARISON_OPERATOR_VALUES)[number];

/** Values of `spec.rollout.strategy`. */
export const ROLLOUT_STRATEGY_VALUES = ['all', 'canary'] as const;
/**
 * all sends the new model to every node at once; canary to canaryNodes nodes first.
 */
export type RolloutStrategy = (typeof ROLLOUT_STRATEGY_VALUES)[number];

/** Values of `spec.cleanupPolicy`. */
export const CLEANUP_POLICY_VALUES = ['Retain', 'Delete'] as const;
/**
 * On deletion, Delete removes the job's samples, labels, scratch and models; Retain keeps them.
 */
export type CleanupPolicy = (typeof CLEANUP_POLICY_VALUES)[number];

/** Values of `status.phase`. */
export const PHASE_VALUES = [
  'Pending',
  'Initializing',
  'Serving',
  'Training',
  'Evaluating',
  'Deploying',
  'Completed',
  'Failed',
  'Suspended',
] as const;
/**
 * Lifecycle phase.
 */
export type Phase = (typeof PHASE_VALUES)[number];

/** Values of `status.conditions[].status`. */
export const CONDITION_STATUS_VALUES = ['True', 'False', 'Unknown'] as const;
/**
 * True, False or Unknown.
 */
export type ConditionStatus = (typeof CONDITION_STATUS_VALUES)[number];

/** Values of `status.models[].state`. */
export const MODEL_RECORD_STATE_VALUES = ['Deployed', 'Rejected', 'RolledBack', 'Superseded'] as const;
/**
 * Deployed (current), Rejected (did not beat the baseline), RolledBack (failed on the edge), Superseded (replaced by a newer model).
 */
export type ModelRecordState = (typeof MODEL_RECORD_STATE_VALUES)[number];

/** Values of `status.edgeNodes[].state`. */
export const EDGE_NODE_STATE_VALUES = ['Online', 'Stale'] as const;
/**
 * Online while heartbeats arrive, Stale once they stop (the node is kept, not dropped).
 */
export type EdgeNodeState = (typeof EDGE_NODE_STATE_VALUES)[number];

/** Values of `status.edgeNodes[].modelState`. */
export const EDGE_MODEL_STATE_VALUES = ['Loading', 'Loaded', 'FailedToLoad'] as const;
/**
 * State of the target model on the node.
 */
export type EdgeModelState = (typeof EDGE_MODEL_STATE_VALUES)[number];

/** Values of `status.training.state`. */
export const TRAINING_STATE_VALUES = ['Queued', 'Active', 'Completed', 'Failed'] as const;
/**
 * State of the training job in the queue.
 */
export type TrainingState = (typeof TRAINING_STATE_VALUES)[number];

/** Values of `status.rollout.phase`. */
export const ROLLOUT_PHASE_VALUES = ['Canary', 'Promoted', 'Completed', 'RolledBack'] as const;
/**
 * Canary (canary nodes soaking), Promoted (every node told), Completed (every node loaded it), RolledBack (the edge was returned to previousVersion).
 */
export type RolloutPhase = (typeof ROLLOUT_PHASE_VALUES)[number];

/**
 * Detector to train and serve.
 */
export interface AlgorithmSpec {
  /**
   * ClassFactory alias of the algorithm (lib/algorithm-api), e.g. FPN.
   * @defaultValue `"FPN"`
   */
  name?: string;
  /**
   * Free map of hyperparameters passed to the algorithm, e.g. learning_rate, momentum, max_iteration, batch_size.
   * @defaultValue `{}`
   */
  hyperparameters?: Record<string, unknown>;
}

/**
 * Base dataset in the Ianvs layout (index.txt of "image annotation" lines, Pascal VOC XML).
 */
export interface DatasetSpec {
  /**
   * s3:// URI of the Ianvs train index.txt.
   */
  trainIndex: string;
  /**
   * s3:// URI of the Ianvs test index.txt; every candidate model is evaluated on it.
   */
  testIndex: string;
  /**
   * Object classes the detector recognises, in label order; unique and non-empty.
   */
  classes: string[];
  /**
   * Fraction (0, 1] of the train index used for the initial round 0 (the "early stage" model); absent means the whole index.
   */
  trainFraction?: number;
  /**
   * Share [0, 0.9] of a retraining round's training samples that are labeled edge samples, reached by repeating them; absent or 0 trains on the plain union. A few dozen new-line samples beside hundreds of old ones are otherwise too few draws to move the model; mixing keeps what it knew.
   */
  labeledShare?: number;
}

/**
 * Object storage that holds datasets, samples, labels and models.
 */
export interface StorageSpec {
  /**
   * Bucket for the job's samples/, labeled/, scratch/ and models/ prefixes.
   */
  bucket: string;
  /**
   * Name of a Secret in the job's namespace with keys accessKey and secretKey; keys are never written inline in the spec.
   */
  credentialsSecret: string;
}

/**
 * A toleration, as in a Pod spec.
 */
export interface Toleration {
  /**
   * Taint key the toleration applies to; empty with operator Exists matches every key.
   */
  key?: string;
  /**
   * How key and value are compared.
   * @defaultValue `"Equal"`
   */
  operator?: TolerationOperator;
  /**
   * Taint value to match with operator Equal.
   */
  value?: string;
  /**
   * Taint effect to match; empty matches every effect.
   */
  effect?: TolerationEffect;
  /**
   * How long a NoExecute taint is tolerated; absent means forever.
   */
  tolerationSeconds?: number;
}

/**
 * Which inference inputs an edge agent keeps and uploads for labeling.
 */
export interface SamplingSpec {
  /**
   * ibt keeps hard examples by the Image-Box-Threshold rule, all keeps every image, random keeps a random share (randomRate), none keeps nothing.
   * @defaultValue `"ibt"`
   */
  strategy?: SamplingStrategy;
  /**
   * IBT image threshold: an image is hard when at least 1 - thresholdImg of its boxes are uncertain.
   * @defaultValue `0.5`
   */
  thresholdImg?: number;
  /**
   * IBT box threshold, a box with score <= thresholdBox is uncertain.
   * @defaultValue `0.5`
   */
  thresholdBox?: number;
  /**
   * Probability of keeping an image with strategy random.
   * @defaultValue `0.1`
   */
  randomRate?: number;
  /**
   * Upper bound of samples kept per minute per node; 0 means no limit.
   * @defaultValue `60`
   */
  maxPerMinute?: number;
}

/**
 * Which edge nodes serve the model and how they keep samples.
 */
export interface EdgeSpec {
  /**
   * Node labels an edge node must carry to serve this job; empty selects every agent.
   * @defaultValue `{}`
   */
  nodeSelector?: Record<string, string>;
  /**
   * Taints of edge nodes this job tolerates (KubeEdge edge nodes are usually tainted).
   */
  tolerations?: Toleration[];
  /**
   * Which inference inputs an edge agent keeps and uploads for labeling.
   * @defaultValue `{}`
   */
  sampling?: SamplingSpec;
}

/**
 * How uploaded samples get labels.
 */
export interface LabelingSpec {
  /**
   * manual waits for a person in the labeling web page; auto labels with the oracle.
   * @defaultValue `"manual"`
   */
  mode?: LabelingMode;
}

/**
 * Daily time window (UTC) in which rounds may start; it may wrap past midnight (22:00 to 04:00). Absent means any time.
 */
export interface TimeWindow {
  /**
   * Window start, HH:MM (24 h, UTC).
   */
  start: string;
  /**
   * Window end, HH:MM (24 h, UTC), exclusive; must differ from start.
   */
  end: string;
}

/**
 * When a new training round starts.
 */
export interface TriggerSpec {
  /**
   * Labeled samples needed since the last round before a new round starts.
   * @defaultValue `50`
   */
  minNewSamples?: number;
  /**
   * Daily time window (UTC) in which rounds may start; it may wrap past midnight (22:00 to 04:00). Absent means any time.
   */
  window?: TimeWindow;
  /**
   * How often the operator re-checks the trigger.
   * @defaultValue `60`
   */
  checkPeriodSeconds?: number;
}

/**
 * When a newly trained model replaces the deployed one.
 */
export interface EvaluationSpec {
  /**
   * Metric compared on the test index (lib/metrics), e.g. f1_score.
   * @defaultValue `"f1_score"`
   */
  metric?: string;
  /**
   * Deploy when new <operator> baseline + minImprovement.
   * @defaultValue `">="`
   */
  operator?: ComparisonOperator;
  /**
   * Improvement over the deployed model's metric a new model needs (Ianvs uses 0.01). A negative value tolerates a model that much worse (-1 deploys every round, e.g. when fresh data matters more than the old test set).
   * @defaultValue `0.01`
   */
  minImprovement?: number;
}

/**
 * How a new model reaches the edge nodes.
 */
export interface RolloutSpec {
  /**
   * all sends the new model to every node at once; canary to canaryNodes nodes first.
   * @defaultValue `"all"`
   */
  strategy?: RolloutStrategy;
  /**
   * Number of nodes that receive a new model first with strategy canary.
   * @defaultValue `1`
   */
  canaryNodes?: number;
  /**
   * Seconds of healthy canary heartbeats before every node gets the model.
   * @defaultValue `300`
   */
  soakSeconds?: number;
  /**
   * Return every node to the last good version when a canary fails to load or turns unhealthy.
   * @defaultValue `true`
   */
  autoRollback?: boolean;
  /**
   * Pins the edge to this published version (v<round>) instead of the latest accepted one; set it to roll back by hand, remove it to resume.
   */
  pinVersion?: string;
}

/**
 * Limits of the whole job.
 */
export interface RunPolicy {
  /**
   * Failed training attempts tolerated before the job becomes Failed.
   * @defaultValue `3`
   */
  backoffLimit?: number;
  /**
   * Seconds after startTime at which the job becomes Failed; absent means no deadline.
   */
  activeDeadlineSeconds?: number;
  /**
   * Incremental training rounds after round 0; the job is Completed after the last one.
   * @defaultValue `10`
   */
  maxRounds?: number;
  /**
   * Pause the job (phase Suspended); no new round starts while true, serving continues.
   * @defaultValue `false`
   */
  suspend?: boolean;
}

/**
 * Desired behaviour of the learning loop.
 */
export interface SingleTaskLearningJobSpec {
  /**
   * Detector to train and serve.
   * @defaultValue `{}`
   */
  algorithm?: AlgorithmSpec;
  /**
   * Base dataset in the Ianvs layout (index.txt of "image annotation" lines, Pascal VOC XML).
   */
  dataset: DatasetSpec;
  /**
   * Optional s3:// URI of a model.zip to serve first; without it the operator trains round 0 from the dataset.
   */
  initialModel?: string;
  /**
   * Object storage that holds datasets, samples, labels and models.
   */
  storage: StorageSpec;
  /**
   * Which edge nodes serve the model and how they keep samples.
   * @defaultValue `{}`
   */
  edge?: EdgeSpec;
  /**
   * How uploaded samples get labels.
   * @defaultValue `{}`
   */
  labeling?: LabelingSpec;
  /**
   * When a new training round starts.
   * @defaultValue `{}`
   */
  trigger?: TriggerSpec;
  /**
   * When a newly trained model replaces the deployed one.
   * @defaultValue `{}`
   */
  evaluation?: EvaluationSpec;
  /**
   * How a new model reaches the edge nodes.
   * @defaultValue `{}`
   */
  rollout?: RolloutSpec;
  /**
   * Limits of the whole job.
   * @defaultValue `{}`
   */
  runPolicy?: RunPolicy;
  /**
   * On deletion, Delete removes the job's samples, labels, scratch and models; Retain keeps them.
   * @defaultValue `"Retain"`
   */
  cleanupPolicy?: CleanupPolicy;
}

/**
 * A condition, as metav1.Condition.
 */
export interface Condition {
  /**
   * Condition type, e.g. Ready, Training, ModelDeployed, EdgeSynced, InvalidSpec, Failed.
   */
  type: string;
  /**
   * True, False or Unknown.
   */
  status: ConditionStatus;
  /**
   * CamelCase reason for the last transition.
   */
  reason?: string;
  /**
   * Human-readable detail.
   */
  message?: string;
  /**
   * When status last changed.
   */
  lastTransitionTime: string;
  /**
   * metadata.generation the condition was set from.
   */
  observedGeneration?: number;
}

/**
 * Model the edge should run now.
 */
export interface CurrentModel {
  /**
   * Published version, v<round>.
   */
  version: string;
  /**
   * s3:// URI of the model.zip.
   */
  uri: string;
  /**
   * Hex sha256 of the model.zip.
   */
  sha256: string;
  /**
   * Test-set metrics of the model, e.g. f1_score.
   */
  metrics?: Record<string, number>;
  /**
   * The model's value of spec.evaluation.metric (from metrics), shown as the Score column.
   */
  score?: number;
  /**
   * When the model became current.
   */
  deployedAt?: string;
}

/**
 * One trained model and what became of it.
 */
export interface ModelRecord {
  /**
   * Published version, v<round>.
   */
  version: string;
  /**
   * Training round that produced it.
   */
  round?: number;
  /**
   * s3:// URI of the model.zip.
   */
  uri?: string;
  /**
   * Hex sha256 of the model.zip.
   */
  sha256?: string;
  /**
   * Test-set metrics of this model.
   */
  metrics?: Record<string, number>;
  /**
   * Metrics of the model deployed at the time, on the same test set; null for round 0.
   */
  baselineMetrics?: Record<string, number> | null;
  /**
   * Deployed (current), Rejected (did not beat the baseline), RolledBack (failed on the edge), Superseded (replaced by a newer model).
   */
  state: ModelRecordState;
  /**
   * Why the model got its state.
   */
  reason?: string;
  /**
   * Wall-clock training time.
   */
  trainSeconds?: number;
  /**
   * Labeled edge samples used for this round.
   */
  labeledSamples?: number;
  /**
   * When the trainer published the model.
   */
  createdAt?: string;
}

/**
 * One edge node as last reported.
 */
export interface EdgeNodeStatus {
  /**
   * Node name.
   */
  name: string;
  /**
   * Online while heartbeats arrive, Stale once they stop (the node is kept, not dropped).
   */
  state?: EdgeNodeState;
  /**
   * Version the node serves now.
   */
  modelVersion?: string | null;
  /**
   * Version the node was told to run.
   */
  targetVersion?: string | null;
  /**
   * State of the target model on the node.
   */
  modelState?: EdgeModelState;
  /**
   * The node is a canary of the current rollout.
   */
  canary?: boolean;
  /**
   * Time of the last heartbeat.
   */
  lastSeen?: string;
  /**
   * Samples waiting in the node's outbox.
   */
  samplesQueued?: number;
  /**
   * Samples the node has uploaded for this job.
   */
  samplesUploaded?: number;
  /**
   * Inferences served for this job.
   */
  inferences?: number;
  /**
   * Failed inferences for this job.
   */
  inferenceErrors?: number;
  /**
   * Last problem the node reported, e.g. why a model failed to load.
   */
  message?: string;
}

/**
 * Sample counters of the job.
 */
export interface SampleCounts {
  /**
   * Samples uploaded by all edge nodes.
   */
  uploaded?: number;
  /**
   * Samples in the labeled index.
   */
  labeled?: number;
  /**
   * Labeled samples already used by a training round.
   */
  used?: number;
}

/**
 * Training round in flight or last finished.
 */
export interface TrainingStatus {
  /**
   * Round number.
   */
  round?: number;
  /**
   * BullMQ jobId, <namespace>.<name>.<uid>.r<round>.g<generation>.
   */
  jobId?: string;
  /**
   * metadata.generation whose spec the round trains from.
   */
  generation?: number;
  /**
   * sha256 of the spec fields that shape training (algorithm, dataset, evaluation metric, bucket) when the round was queued; a change restarts the round.
   */
  specDigest?: string;
  /**
   * When the operator asked the trainer to stop this round (a spec change restarts it).
   */
  cancelRequestedAt?: string;
  /**
   * State of the training job in the queue.
   */
  state?: TrainingState;
  /**
   * Attempts made so far.
   */
  attempts?: number;
  /**
   * Failed training attempts counted against runPolicy.backoffLimit.
   */
  failures?: number;
  /**
   * When the round was enqueued.
   */
  startedAt?: string;
  /**
   * Last progress or failure message.
   */
  message?: string;
}

/**
 * Progress of the rollout of a new model.
 */
export interface RolloutStatus {
  /**
   * Version being rolled out.
   */
  targetVersion?: string;
  /**
   * Last good version, restored on rollback.
   */
  previousVersion?: string | null;
  /**
   * Canary (canary nodes soaking), Promoted (every node told), Completed (every node loaded it), RolledBack (the edge was returned to previousVersion).
   */
  phase?: RolloutPhase;
  /**
   * Nodes chosen as canaries.
   */
  canaryNodes?: string[];
  /**
   * When the rollout started.
   */
  startedAt?: string;
  /**
   * Since when every canary has reported the target Loaded; soakSeconds count from here.
   */
  healthySince?: string;
  /**
   * Why the rollout is where it is.
   */
  message?: string;
}

/**
 * Observed state of the learning loop, written by the operator.
 */
export interface SingleTaskLearningJobStatus {
  /**
   * Lifecycle phase.
   */
  phase?: Phase;
  /**
   * Latest training round started (0 is the initial model).
   */
  round?: number;
  /**
   * metadata.generation the operator last acted on.
   */
  observedGeneration?: number;
  /**
   * Latest observation of each condition type (one entry per type).
   */
  conditions?: Condition[];
  /**
   * Model the edge should run now.
   */
  currentModel?: CurrentModel;
  /**
   * Bounded history of trained models, newest last.
   */
  models?: ModelRecord[];
  /**
   * Edge agents serving this job, aggregated from heartbeats.
   */
  edgeNodes?: EdgeNodeStatus[];
  /**
   * Sample counters of the job.
   */
  samples?: SampleCounts;
  /**
   * Training round in flight or last finished.
   */
  training?: TrainingStatus;
  /**
   * Progress of the rollout of a new model.
   */
  rollout?: RolloutStatus;
  /**
   * When the operator started the job.
   */
  startTime?: string;
  /**
   * When the job reached Completed or Failed.
   */
  completionTime?: string;
}

/**
 * SingleTaskLearningJob runs a single-task learning loop for one detector: edge nodes serve the current model and keep hard examples, the samples are labeled, the cloud trainer retrains, and a model that beats the deployed one is rolled out to the edge again.
 */
export interface SingleTaskLearningJob {
  /**
   * APIVersion of this representation of the object; edgestl.io/v1alpha1.
   */
  apiVersion?: string;
  /**
   * Kind of the object; SingleTaskLearningJob.
   */
  kind?: string;
  /**
   * Standard Kubernetes object metadata.
   */
  metadata?: ObjectMeta;
  /**
   * Desired behaviour of the learning loop.
   */
  spec: SingleTaskLearningJobSpec;
  /**
   * Observed state of the learning loop, written by the operator.
   */
  status?: SingleTaskLearningJobStatus;
}

/**
 * Detector to train and serve. AlgorithmSpec with every schema default applied (withDefaults).
 */
export interface DefaultedAlgorithmSpec {
  /**
   * ClassFactory alias of the algorithm (lib/algorithm-api), e.g. FPN.
   * @defaultValue `"FPN"`
   */
  name: string;
  /**
   * Free map of hyperparameters passed to the algorithm, e.g. learning_rate, momentum, max_iteration, batch_size.
   * @defaultValue `{}`
   */
  hyperparameters: Record<string, unknown>;
}

/**
 * A toleration, as in a Pod spec. Toleration with every schema default applied (withDefaults).
 */
export interface DefaultedToleration {
  /**
   * Taint key the toleration applies to; empty with operator Exists matches every key.
   */
  key?: string;
  /**
   * How key and value are compared.
   * @defaultValue `"Equal"`
   */
  operator: TolerationOperator;
  /**
   * Taint value to match with operator Equal.
   */
  value?: string;
  /**
   * Taint effect to match; empty matches every effect.
   */
  effect?: TolerationEffect;
  /**
   * How long a NoExecute taint is tolerated; absent means forever.
   */
  tolerationSeconds?: number;
}

/**
 * Which inference inputs an edge agent keeps and uploads for labeling. SamplingSpec with every schema default applied (withDefaults).
 */
export interface DefaultedSamplingSpec {
  /**
   * ibt keeps hard examples by the Image-Box-Threshold rule, all keeps every image, random keeps a random share (randomRate), none keeps nothing.
   * @defaultValue `"ibt"`
   */
  strategy: SamplingStrategy;
  /**
   * IBT image threshold: an image is hard when at least 1 - thresholdImg of its boxes are uncertain.
   * @defaultValue `0.5`
   */
  thresholdImg: number;
  /**
   * IBT box threshold, a box with score <= thresholdBox is uncertain.
   * @defaultValue `0.5`
   */
  thresholdBox: number;
  /**
   * Probability of keeping an image with strategy random.
   * @defaultValue `0.1`
   */
  randomRate: number;
  /**
   * Upper bound of samples kept per minute per node; 0 means no limit.
   * @defaultValue `60`
   */
  maxPerMinute: number;
}

/**
 * Which edge nodes serve the model and how they keep samples. EdgeSpec with every schema default applied (withDefaults).
 */
export interface DefaultedEdgeSpec {
  /**
   * Node labels an edge node must carry to serve this job; empty selects every agent.
   * @defaultValue `{}`
   */
  nodeSelector: Record<string, string>;
  /**
   * Taints of edge nodes this job tolerates (KubeEdge edge nodes are usually tainted).
   */
  tolerations?: DefaultedToleration[];
  /**
   * Which inference inputs an edge agent keeps and uploads for labeling.
   * @defaultValue `{}`
   */
  sampling: DefaultedSamplingSpec;
}

/**
 * How uploaded samples get labels. LabelingSpec with every schema default applied (withDefaults).
 */
export interface DefaultedLabelingSpec {
  /**
   * manual waits for a person in the labeling web page; auto labels with the oracle.
   * @defaultValue `"manual"`
   */
  mode: LabelingMode;
}

/**
 * When a new training round starts. TriggerSpec with every schema default applied (withDefaults).
 */
export interface DefaultedTriggerSpec {
  /**
   * Labeled samples needed since the last round before a new round starts.
   * @defaultValue `50`
   */
  minNewSamples: number;
  /**
   * Daily time window (UTC) in which rounds may start; it may wrap past midnight (22:00 to 04:00). Absent means any time.
   */
  window?: TimeWindow;
  /**
   * How often the operator re-checks the trigger.
   * @defaultValue `60`
   */
  checkPeriodSeconds: number;
}

/**
 * When a newly trained model replaces the deployed one. EvaluationSpec with every schema default applied (withDefaults).
 */
export interface DefaultedEvaluationSpec {
  /**
   * Metric compared on the test index (lib/metrics), e.g. f1_score.
   * @defaultValue `"f1_score"`
   */
  metric: string;
  /**
   * Deploy when new <operator> baseline + minImprovement.
   * @defaultValue `">="`
   */
  operator: ComparisonOperator;
  /**
   * Improvement over the deployed model's metric a new model needs (Ianvs uses 0.01). A negative value tolerates a model that much worse (-1 deploys every round, e.g. when fresh data matters more than the old test set).
   * @defaultValue `0.01`
   */
  minImprovement: number;
}

/**
 * How a new model reaches the edge nodes. RolloutSpec with every schema default applied (withDefaults).
 */
export interface DefaultedRolloutSpec {
  /**
   * all sends the new model to every node at once; canary to canaryNodes nodes first.
   * @defaultValue `"all"`
   */
  strategy: RolloutStrategy;
  /**
   * Number of nodes that receive a new model first with strategy canary.
   * @defaultValue `1`
   */
  canaryNodes: number;
  /**
   * Seconds of healthy canary heartbeats before every node gets the model.
   * @defaultValue `300`
   */
  soakSeconds: number;
  /**
   * Return every node to the last good version when a canary fails to load or turns unhealthy.
   * @defaultValue `true`
   */
  autoRollback: boolean;
  /**
   * Pins the edge to this published version (v<round>) instead of the latest accepted one; set it to roll back by hand, remove it to resume.
   */
  pinVersion?: string;
}

/**
 * Limits of the whole job. RunPolicy with every schema default applied (withDefaults).
 */
export interface DefaultedRunPolicy {
  /**
   * Failed training attempts tolerated before the job becomes Failed.
   * @defaultValue `3`
   */
  backoffLimit: number;
  /**
   * Seconds after startTime at which the job becomes Failed; absent means no deadline.
   */
  activeDeadlineSeconds?: number;
  /**
   * Incremental training rounds after round 0; the job is Completed after the last one.
   * @defaultValue `10`
   */
  maxRounds: number;
  /**
   * Pause the job (phase Suspended); no new round starts while true, serving continues.
   * @defaultValue `false`
   */
  suspend: boolean;
}

/**
 * Desired behaviour of the learning loop. SingleTaskLearningJobSpec with every schema default applied (withDefaults).
 */
export interface DefaultedSingleTaskLearningJobSpec {
  /**
   * Detector to train and serve.
   * @defaultValue `{}`
   */
  algorithm: DefaultedAlgorithmSpec;
  /**
   * Base dataset in the Ianvs layout (index.txt of "image annotation" lines, Pascal VOC XML).
   */
  dataset: DatasetSpec;
  /**
   * Optional s3:// URI of a model.zip to serve first; without it the operator trains round 0 from the dataset.
   */
  initialModel?: string;
  /**
   * Object storage that holds datasets, samples, labels and models.
   */
  storage: StorageSpec;
  /**
   * Which edge nodes serve the model and how they keep samples.
   * @defaultValue `{}`
   */
  edge: DefaultedEdgeSpec;
  /**
   * How uploaded samples get labels.
   * @defaultValue `{}`
   */
  labeling: DefaultedLabelingSpec;
  /**
   * When a new training round starts.
   * @defaultValue `{}`
   */
  trigger: DefaultedTriggerSpec;
  /**
   * When a newly trained model replaces the deployed one.
   * @defaultValue `{}`
   */
  evaluation: DefaultedEvaluationSpec;
  /**
   * How a new model reaches the edge nodes.
   * @defaultValue `{}`
   */
  rollout: DefaultedRolloutSpec;
  /**
   * Limits of the whole job.
   * @defaultValue `{}`
   */
  runPolicy: DefaultedRunPolicy;
  /**
   * On deletion, Delete removes the job's samples, labels, scratch and models; Retain keeps them.
   * @defaultValue `"Retain"`
   */
  cleanupPolicy: CleanupPolicy;
}
