import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { isValidName, jobKeyFromText, type SamplingSettings } from '../lib/protocol/index.js';
import type { JobKey } from '../lib/protocol/index.js';
import type { S3Config } from '../lib/storage/object-store.js';
import {
  customSetting,
  numberSetting,
  parseSettings,
  settingsUsage,
  stringSetting,
  urlSetting,
} from '../lib/cli/settings.js';
import { PLUGIN_SETTING } from '../lib/cli/plugin-setting.js';
import { DEFAULT_HEARTBEAT_SECONDS } from '../lib/protocol/defaults.js';
import { DEFAULT_RANDOM_RATE } from './sampler.js';
import { UsageError } from '../lib/errors/index.js';

/** Everything an edge agent needs to run. Build it with {@link resolveEdgeAgentConfig}. */
export interface EdgeAgentConfig {
  /** Node name reported to the operator and used in sample keys. */
  node: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Models, outbox and persisted state live here; reuse it across restarts. */
  dataDir: string;
  /** S3 for kept samples; null keeps samples in the outbox until it is configured. */
  s3: S3Config | null;
  /** Bucket for samples until the operator names one. */
  bucket: string;
  /** Coordination API base URL; null runs standalone (initial model, flags' sampling). */
  operatorUrl: string | null;
  /** Bearer token of this node for the coordination API (minted for this node only). */
  operatorToken: string | null;
  /** File holding the node token (read at start; wins over nothing, loses to `operatorToken`). */
  operatorTokenFile: string | null;
  /** PEM CA bundle to trust for the operator, S3 and model URLs besides the public roots. */
  caFile: string | null;
  /** When set, `/v1/infer` needs `Authorization: Bearer <apiToken>`. */
  apiToken: string | null;
  /** The job served when the request names none, and the job of the initial model. */
  job: JobKey;
  /** Optional `model.zip` installed at start when no model of the job is on disk yet. */
  initialModel: string | null;
  /** Sampling until the operator sends settings. */
  sampling: SamplingSettings;
  webhookUrl: string | null;
  mqttUrl: string | null;
  mqttTopic: string;
  limits: EdgeAgentLimits;
}

export interface EdgeAgentLimits {
  /** Largest accepted image body, bytes (413 above). */
  maxImageBytes: number;
  /** Inferences run at once. */
  concurrency: number;
  /** Requests waiting for a slot before 429. */
  queueLimit: number;
  /** Outbox size on disk; the oldest samples are dropped (and counted) beyond it. */
  outboxMaxBytes: number;
  /** Time a new model gets to answer the smoke test, ms. */
  smokeTimeoutMs: number;
  /** Heartbeat interval until the operator asks for another one, s. */
  heartbeatIntervalSeconds: number;
  /** A `drop` of a job whose model serves is obeyed only when repeated at least this long after the first, ms. */
  dropConfirmMs: number;
  /** Longest backoff between heartbeats or uploads while the peer is unreachable, ms. */
  maxBackoffMs: number;
  /** Graceful shutdown deadline, ms. */
  shutdownTimeoutMs: number;
  /** Result deliveries waiting per sink before the oldest is dropped. */
  resultQueueLimit: number;
  /** Parallel S3 uploads. */
  uploadConcurrency: number;
  /** An S3 request silent this long fails and is retried, ms. */
  s3TimeoutMs: number;
  /** A model download receiving nothing this long is cut and resumed, ms. */
  downloadIdleTimeoutMs: number;
  /** A model download (all attempts) taking longer than this fails, ms. */
  downloadTimeoutMs: number;
  /** Widest accepted aspect ratio (long side / short side); 400 `IMAGE_SHAPE` beyond it. */
  maxAspectRatio: number;
  /** Largest pixel count once the short side is the model's input size; 400 `IMAGE_SHAPE` beyond it. */
  maxResizedPixels: number;
  /** Largest image sharp may decode, pixels (its `limitInputPixels`); 400 `IMAGE_TOO_LARGE` beyond it. */
  maxInputPixels: number;
  /** Deadline of one inference from its arrival, queue wait included, ms; 503 `DEADLINE_EXCEEDED` past it. */
  inferenceTimeoutMs: number;
}

/** Programmatic options: everything optional except what has no sane default. */
export type EdgeAgentOptions = Partial<Omit<EdgeAgentConfig, 'limits' | 'sampling'>> & {
  dataDir: string;
  limits?: Partial<EdgeAgentLimits>;
  sampling?: Partial<SamplingSettings>;
};

export const DEFAULT_LIMITS: EdgeAgentLimits = {
  maxImageBytes: 10 * 1024 * 1024,
  concurrency: 1,
  queueLimit: 32,
  outboxMaxBytes: 512 * 1024 * 1024,
  smokeTimeoutMs: 30_000,
  heartbeatIntervalSeconds: DEFAULT_HEARTBEAT_SECONDS,
  // Half a default heartbeat interval: the second drop in a row (one interval later) is obeyed.
  dropConfirmMs: DEFAULT_HEARTBEAT_SECONDS * 500,
  maxBackoffMs: 30_000,
  shutdownTimeoutMs: 10_000,
  resultQueueLimit: 1000,
  uploadConcurrency: 4,
  s3TimeoutMs: 30_000,
  downloadIdleTimeoutMs: 30_000,
  downloadTimeoutMs: 15 * 60_000,
  maxAspectRatio: 8,
  // 4 x 640^2: a 4:1 image at the default short side of 640.
  maxResizedPixels: 4 * 640 * 640,
  // 24 MP: a 6000x4000 camera frame; its decode needs about 72 MB.
  maxInputPixels: 24_000_000,
  inferenceTimeoutMs: 10_000,
};

export const DEFAULT_SAMPLING: SamplingSettings = {
  strategy: 'ibt',
  thresholdImg: 0.5,
  thresholdBox: 0.5,
  maxPerMinute: 60,
};

/** Fills defaults; the one place where an agent configuration gets its final shape. */
export function resolveEdgeAgentConfig(options: EdgeAgentOptions): EdgeAgentConfig {
  // Kubernetes node names are lower case; a host name need not be.
  const node = options.node ?? hostname().toLowerCase();
  // The node name goes into every sample key: refuse one that could not be a node name at start.
  if (!isValidName('node name', node))
    throw new UsageError(`--node must be a DNS name (lower case, digits, "-", "."), got "${node}"`);
  return {
    node,
    host: options.host ?? DEFAULT_AGENT.host,
    port: options.port ?? DEFAULT_AGENT.port,
    dataDir: resolve(options.dataDir),
    s3: options.s3 ?? null,
    bucket: options.bucket ?? DEFAULT_AGENT.bucket,
    operatorUrl: options.operatorUrl ? options.operatorUrl.replace(/\/+$/, '') : null,
    operatorToken: options.operatorToken ?? null,
    operatorTokenFile: options.operatorTokenFile ? resolve(options.operatorTokenFile) : null,
    caFile: options.caFile ? resolve(options.caFile) : null,
    apiToken: options.apiToken ?? null,
    job: options.job ?? DEFAULT_AGENT.job,
    initialModel: options.initialModel ? resolve(options.initialModel) : null,
    sampling: { ...DEFAULT_SAMPLING, ...options.sampling },
    webhookUrl: options.webhookUrl ?? null,
    mqttUrl: options.mqttUrl ?? null,
    mqttTopic: options.mqttTopic ?? `edge-stl/results/${node}`,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
  };
}

/** Defaults of the agent's own settings (the limits and sampling have theirs above). */
export const DEFAULT_AGENT = {
  host: '0.0.0.0',
  port: 8080,
  dataDir: './edge-agent-data',
  bucket: 'edge-stl',
  job: { namespace: 'default', name: 'local' } as JobKey,
} as const;

const MIB = 1024 * 1024;
const HTTP = ['http:', 'https:'];
const SAMPLING_STRATEGIES = ['ibt', 'all', 'random', 'none'] as const;

/** Every agent setting: flag, `EDGE_STL_*` variable, default, rule and help; docs/edge-agent.md has the same table. */
export const EDGE_AGENT_SETTINGS = {
  node: stringSetting({
    arg: '<name>',
    env: 'EDGE_STL_NODE_NAME',
    alsoEnv: ['NODE_NAME'],
    defaultText: 'host name',
    help: 'node name in heartbeats and sample keys',
  }),
  host: stringSetting({ arg: '<addr>', default: DEFAULT_AGENT.host, help: 'listen address' }),
  port: numberSetting({
    min: 0,
    max: 65535,
    default: DEFAULT_AGENT.port,
    help: 'listen port (0: any free port)',
  }),
  'data-dir': stringSetting({
    arg: '<dir>',
    default: DEFAULT_AGENT.dataDir,
    help: 'models, outbox and state',
  }),
  bucket: stringSetting({
    arg: '<name>',
    default: DEFAULT_AGENT.bucket,
    help: 'sample bucket until the operator names one',
  }),
  'operator-url': urlSetting({
    protocols: HTTP,
    defaultText: 'none: standalone',
    help: 'coordination API base URL',
  }),
  'ca-file': stringSetting({
    arg: '<pem>',
    defaultText: 'public roots only',
    help: 'PEM CA trusted for https besides the public roots',
  }),
  'token-file': stringSetting({ arg: '<file>', help: "file holding this node's own token" }),
  job: customSetting({
    arg: '<ns/name>',
    default: DEFAULT_AGENT.job,
    defaultText: `${DEFAULT_AGENT.job.namespace}/${DEFAULT_AGENT.job.name}`,
    help: 'job served by default and owning --model',
    check: (raw, name) => parseJob(raw, name)!,
  }),
  model: stringSetting({
    arg: '<model.zip>',
    help: 'initial model, installed when the job has none on disk',
  }),
  plugin: PLUGIN_SETTING,
  sampling: customSetting({
    arg: '<strategy>',
    default: DEFAULT_SAMPLING.strategy,
    help: 'ibt, all, random or none, until the operator sends settings',
    check: (raw, name) => {
      if (!(SAMPLING_STRATEGIES as readonly string[]).includes(raw))
        throw new UsageError(`${name} expects ibt, all, random or none, got "${raw}"`);
      return raw as SamplingSettings['strategy'];
    },
  }),
  'threshold-img': numberSetting({
    arg: '<0..1>',
    min: 0,
    max: 1,
    integer: false,
    default: DEFAULT_SAMPLING.thresholdImg,
    help: 'IBT image threshold',
  }),
  'threshold-box': numberSetting({
    arg: '<0..1>',
    min: 0,
    max: 1,
    integer: false,
    default: DEFAULT_SAMPLING.thresholdBox,
    help: 'IBT box threshold',
  }),
  'max-per-minute': numberSetting({
    min: 0,
    default: DEFAULT_SAMPLING.maxPerMinute,
    help: 'kept samples per minute (0: no limit)',
  }),
  'random-rate': numberSetting({
    arg: '<0..1>',
    min: 0,
    max: 1,
    integer: false,
    defaultText: String(DEFAULT_RANDOM_RATE),
    help: 'share kept by strategy random',
  }),
  'webhook-url': urlSetting({ protocols: HTTP, help: 'POST every result as JSON here' }),
  'mqtt-url': urlSetting({
    protocols: ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:'],
    help: 'publish every result (e.g. mqtt://127.0.0.1:1883)',
  }),
  'mqtt-topic': stringSetting({
    arg: '<topic>',
    defaultText: 'edge-stl/results/<node>',
    help: 'MQTT topic of the results',
  }),
  'max-image-bytes': numberSetting({
    min: 1,
    default: DEFAULT_LIMITS.maxImageBytes,
    help: 'larger bodies get 413',
  }),
  concurrency: numberSetting({
    min: 1,
    max: 64,
    default: DEFAULT_LIMITS.concurrency,
    help: 'inferences at once',
  }),
  'queue-limit': numberSetting({
    min: 0,
    default: DEFAULT_LIMITS.queueLimit,
    help: 'waiting requests before 429',
  }),
  'outbox-max-mb': numberSetting({
    min: 1,
    default: DEFAULT_LIMITS.outboxMaxBytes / MIB,
    help: 'outbox size; then the oldest sample is dropped',
  }),
  'smoke-timeout-ms': numberSetting({
    min: 1,
    default: DEFAULT_LIMITS.smokeTimeoutMs,
    help: 'time a new model gets on the test image',
  }),
  'heartbeat-seconds': numberSetting({
    min: 1,
    default: DEFAULT_LIMITS.heartbeatIntervalSeconds,
    help: 'heartbeat interval until the operator sets one',
  }),
  'drop-confirm-ms': numberSetting({
    min: 0,
    default: DEFAULT_LIMITS.dropConfirmMs,
    help: 'a drop of a serving job must repeat this much later',
  }),
  'shutdown-timeout-ms': numberSetting({
    min: 100,
    default: DEFAULT_LIMITS.shutdownTimeoutMs,
    help: 'SIGTERM deadline; then in-flight work is cut',
  }),
  's3-timeout-ms': numberSetting({
    min: 100,
    default: DEFAULT_LIMITS.s3TimeoutMs,
    help: 'an S3 request silent this long fails',
  }),
  'download-idle-timeout-ms': numberSetting({
    min: 100,
    default: DEFAULT_LIMITS.downloadIdleTimeoutMs,
    help: 'a stalled model download is cut and resumed',
  }),
  'download-timeout-ms': numberSetting({
    min: 100,
    default: DEFAULT_LIMITS.downloadTimeoutMs,
    help: 'whole model download, all attempts',
  }),
  'max-aspect-ratio': numberSetting({
    arg: '<x>',
    min: 1,
    max: 1000,
    integer: false,
    default: DEFAULT_LIMITS.maxAspectRatio,
    help: 'long side / short side; then 400',
  }),
  'max-resized-pixels': numberSetting({
    min: 1,
    default: DEFAULT_LIMITS.maxResizedPixels,
    help: 'pixels after resizing (4 x 640^2); then 400',
  }),
  'max-input-pixels': numberSetting({
    min: 1,
    default: DEFAULT_LIMITS.maxInputPixels,
    help: 'decoded size; then 400',
  }),
  'inference-timeout-ms': numberSetting({
    min: 1,
    default: DEFAULT_LIMITS.inferenceTimeoutMs,
    help: 'queue wait included; then 503',
  }),
};

/** `--help` text, generated from {@link EDGE_AGENT_SETTINGS}. */
export const EDGE_AGENT_USAGE = settingsUsage(EDGE_AGENT_SETTINGS, {
  head: `Usage: edge-stl edge-agent [options]

Runs the edge agent: POST /v1/infer, sampling to a durable outbox, uploads to S3,
heartbeats to the operator and verified hot model updates.`,
  envOnlyTitle: 'Secrets come only from the environment, never from flags:',
  envOnly: [
    {
      name: 'S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY (or AWS_*)',
      help: 'standalone only (no --operator-url): with an operator, samples go up by presigned URLs',
    },
    { name: 'EDGE_STL_NODE_TOKEN', help: "this node's token for the operator" },
    { name: 'EDGE_STL_API_TOKEN', help: 'bearer token clients send to /v1/infer' },
    { name: 'LOG_LEVEL', help: 'pino level (info)' },
  ],
});

/** Result of parsing the command line: a config (and the plugins to register), or a request for help. */
export type ParsedEdgeAgentArgs =
  { help: true } | { help: false; options: EdgeAgentOptions; plugins: string[] };

/**
 * Parses flags, falling back to `EDGE_STL_<FLAG>` environment variables. Credentials are read from
 * the environment only. Throws {@link UsageError} naming the bad flag or variable.
 */
export function parseEdgeAgentArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  s3FromEnv: (env: NodeJS.ProcessEnv) => S3Config,
): ParsedEdgeAgentArgs {
  const parsed = parseSettings(EDGE_AGENT_SETTINGS, argv, env);
  if (parsed.help) return { help: true };
  const v = parsed.values;
  return {
    help: false,
    plugins: v.plugin,
    options: dropUndefined({
      node: v.node,
      host: v.host,
      port: v.port,
      dataDir: v['data-dir'],
      bucket: v.bucket,
      operatorUrl: v['operator-url'],
      operatorToken: env.EDGE_STL_NODE_TOKEN || undefined,
      operatorTokenFile: v['token-file'],
      caFile: v['ca-file'],
      apiToken: env.EDGE_STL_API_TOKEN || undefined,
      job: v.job,
      initialModel: v.model,
      webhookUrl: v['webhook-url'],
      mqttUrl: v['mqtt-url'],
      mqttTopic: v['mqtt-topic'],
      s3: env.S3_ENDPOINT ? s3FromEnv(env) : undefined,
      sampling: {
        strategy: v.sampling,
        thresholdImg: v['threshold-img'],
        thresholdBox: v['threshold-box'],
        maxPerMinute: v['max-per-minute'],
        randomRate: v['random-rate'],
      },
      limits: {
        maxImageBytes: v['max-image-bytes'],
        concurrency: v.concurrency,
        queueLimit: v['queue-limit'],
        outboxMaxBytes: v['outbox-max-mb'] * MIB,
        smokeTimeoutMs: v['smoke-timeout-ms'],
        heartbeatIntervalSeconds: v['heartbeat-seconds'],
        dropConfirmMs: v['drop-confirm-ms'],
        shutdownTimeoutMs: v['shutdown-timeout-ms'],
        s3TimeoutMs: v['s3-timeout-ms'],
        downloadIdleTimeoutMs: v['download-idle-timeout-ms'],
        downloadTimeoutMs: v['download-timeout-ms'],
        maxAspectRatio: v['max-aspect-ratio'],
        maxResizedPixels: v['max-resized-pixels'],
        maxInputPixels: v['max-input-pixels'],
        inferenceTimeoutMs: v['inference-timeout-ms'],
      },
    }) as EdgeAgentOptions,
  };
}

/** `namespace/name` → JobKey. */
export function parseJob(raw: string | undefined, name = '--job'): JobKey | undefined {
  if (raw === undefined) return undefined;
  const job = jobKeyFromText(raw);
  if (!job) throw new UsageError(`${name} expects <namespace>/<name> (DNS labels), got "${raw}"`);
  return job;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
