import { Type, type Static } from '@sinclair/typebox';
import { BucketName, NamespaceName, ObjectName, SampleId } from './names.js';

/**
 * The edge-coordination protocol. Edge nodes sit behind NAT, so the agent pulls: it POSTs a
 * heartbeat to `POST /v1/agents/:node/heartbeat` with a bearer token and the reply carries the
 * desired state. JSON schemas (TypeBox) are the single definition; types derive from them.
 */

/** Longest `reason` an agent may report; agents truncate to it, the operator refuses longer ones. */
export const MAX_REASON_LENGTH = 512;
/** Most jobs one node may report in a heartbeat. */
export const MAX_JOBS_PER_NODE = 64;

export const ModelState = Type.Union(
  [Type.Literal('Loading'), Type.Literal('Loaded'), Type.Literal('FailedToLoad')],
  {
    description: 'State of the target model on the node',
  },
);
export type ModelState = Static<typeof ModelState>;

export const JobKey = Type.Object(
  { namespace: NamespaceName, name: ObjectName },
  { additionalProperties: false },
);
export type JobKey = Static<typeof JobKey>;

export const AgentJobReport = Type.Object(
  {
    job: JobKey,
    activeModel: Type.Union([Type.String({ maxLength: 63 }), Type.Null()], {
      description: 'Version serving now',
    }),
    targetModel: Type.Union([Type.String({ maxLength: 63 }), Type.Null()], {
      description: 'Version being installed',
    }),
    modelState: ModelState,
    reason: Type.Optional(
      Type.String({ maxLength: MAX_REASON_LENGTH, description: 'Why the target failed to load' }),
    ),
    samplesQueued: Type.Integer({ minimum: 0 }),
    samplesUploaded: Type.Integer({ minimum: 0 }),
    samplesDropped: Type.Integer({ minimum: 0 }),
    inferences: Type.Integer({ minimum: 0 }),
    inferenceErrors: Type.Integer({ minimum: 0 }),
    latencyMsP50: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type AgentJobReport = Static<typeof AgentJobReport>;

export const HeartbeatRequest = Type.Object(
  {
    node: ObjectName,
    // No labels: the operator reads them from the Node object, never from the agent.
    agentVersion: Type.Optional(Type.String({ maxLength: 63 })),
    jobs: Type.Array(AgentJobReport, { maxItems: MAX_JOBS_PER_NODE }),
  },
  { additionalProperties: false },
);
export type HeartbeatRequest = Static<typeof HeartbeatRequest>;

export const SamplingSettings = Type.Object(
  {
    strategy: Type.Union([
      Type.Literal('ibt'),
      Type.Literal('all'),
      Type.Literal('random'),
      Type.Literal('none'),
    ]),
    thresholdImg: Type.Number({ minimum: 0, maximum: 1 }),
    thresholdBox: Type.Number({ minimum: 0, maximum: 1 }),
    maxPerMinute: Type.Integer({ minimum: 0 }),
    /** Probability of keeping an image with strategy `random`. */
    randomRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);
export type SamplingSettings = Static<typeof SamplingSettings>;

export const DesiredModel = Type.Object(
  {
    version: Type.String(),
    url: Type.String({ description: 'Presigned GET URL of model.zip' }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
);
export type DesiredModel = Static<typeof DesiredModel>;

export const DesiredJob = Type.Object(
  {
    job: JobKey,
    model: Type.Union([DesiredModel, Type.Null()]),
    sampling: SamplingSettings,
    /** Where kept samples go: bucket and the job's sample prefix owner. */
    storage: Type.Object({ bucket: BucketName }, { additionalProperties: false }),
    drop: Type.Boolean({ description: 'The job is gone or no longer selects this node: stop serving it' }),
  },
  { additionalProperties: false },
);
export type DesiredJob = Static<typeof DesiredJob>;

export const HeartbeatReply = Type.Object(
  {
    jobs: Type.Array(DesiredJob),
    /** Seconds until the next heartbeat the operator would like. */
    heartbeatIntervalSeconds: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type HeartbeatReply = Static<typeof HeartbeatReply>;

/** `POST /v1/agents/:node/sample-urls`: where to PUT one kept sample of one job. */
export const SampleUrlsRequest = Type.Object({ job: JobKey, id: SampleId }, { additionalProperties: false });
export type SampleUrlsRequest = Static<typeof SampleUrlsRequest>;

/** Presigned PUT URLs scoped to `samples/<ns>/<job>/<node>/<id>.{jpeg,json}`: the node holds no S3 keys. */
export const SampleUrlsReply = Type.Object(
  {
    image: Type.String({ description: 'Presigned PUT URL of the .jpeg' }),
    record: Type.String({ description: 'Presigned PUT URL of the .json' }),
  },
  { additionalProperties: false },
);
export type SampleUrlsReply = Static<typeof SampleUrlsReply>;

/** Path of the sample-urls call, relative to the operator's coordination URL. */
export function sampleUrlsPath(node: string): string {
  return `/v1/agents/${encodeURIComponent(node)}/sample-urls`;
}

/** Path of the heartbeat call, relative to the operator's coordination URL. */
export function heartbeatPath(node: string): string {
  return `/v1/agents/${encodeURIComponent(node)}/heartbeat`;
}
