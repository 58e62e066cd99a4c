import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { isValidName, type SamplingSettings } from '../lib/protocol/index.js';
import type { JobKey } from '../lib/protocol/index.js';
import type { S3Config } from '../lib/storage/object-store.js';
import { numberFlag, parseFlags } from '../lib/cli/args.js';
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
  heartbeatIntervalSeconds: 10,
  // Half a default heartbeat interval: the second drop in a row (10 s later) is obeyed.
  dropConfirmMs: 5_000,
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
    host: options.host ?? '0.0.0.0',
    port: options.port ?? 8080,
    dataDir: resolve(options.dataDir),
    s3: options.s3 ?? null,
    bucket: options.bucket ?? 'edge-stl',
    operatorUrl: options.operatorUrl ? options.operatorUrl.replace(/\/+$/, '') : null,
    operatorToken: options.operatorToken ?? null,
    operatorTokenFile: options.operatorTokenFile ? resolve(options.operatorTokenFile) : null,
    caFile: options.caFile ? resolve(options.caFile) : null,
    apiToken: options.apiToken ?? null,
    job: options.job ?? { namespace: 'default', name: 'local' },
    initialModel: options.initialModel ? resolve(options.initialModel) : null,
    sampling: { ...DEFAULT_SAMPLING, ...options.sampling },
    webhookUrl: options.webhookUrl ?? null,
    mqttUrl: options.mqttUrl ?? null,
    mqttTopic: options.mqttTopic ?? `edge-stl/results/${node}`,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
  };
}

/** `--help` text; docs/edge-agent.md carries the same table. */
export const EDGE_AGENT_USAGE = `Usage: edge-stl edge-agent [options]

Runs the edge agent: POST /v1/infer, sampling to a durable outbox, uploads to S3,
heartbeats to the operator and verified hot model updates.

Options (flag, environment variable, default):
  --node <name>              EDGE_STL_NODE_NAME, NODE_NAME   host name
  --host <addr>              EDGE_STL_HOST                   0.0.0.0
  --port <n>                 EDGE_STL_PORT                   8080
  --data-dir <dir>           EDGE_STL_DATA_DIR               ./edge-agent-data
  --bucket <name>            EDGE_STL_BUCKET                 edge-stl (until the operator names one)
  --operator-url <url>       EDGE_STL_OPERATOR_URL           none: standalone
  --ca-file <pem>            EDGE_STL_CA_FILE                public roots only (trust for https)
  --token-file <file>        EDGE_STL_TOKEN_FILE             none (file with this node's own token)
  --job <ns/name>            EDGE_STL_JOB                    default/local
  --model <model.zip>        EDGE_STL_MODEL                  none
  --sampling <strategy>      EDGE_STL_SAMPLING               ibt (ibt|all|random|none)
  --threshold-img <0..1>     EDGE_STL_THRESHOLD_IMG          0.5
  --threshold-box <0..1>     EDGE_STL_THRESHOLD_BOX          0.5
  --max-per-minute <n>       EDGE_STL_MAX_PER_MINUTE         60 (0: no limit)
  --random-rate <0..1>       EDGE_STL_RANDOM_RATE            0.1 (strategy random)
  --webhook-url <url>        EDGE_STL_WEBHOOK_URL            none
  --mqtt-url <url>           EDGE_STL_MQTT_URL               none (e.g. mqtt://127.0.0.1:1883)
  --mqtt-topic <topic>       EDGE_STL_MQTT_TOPIC             edge-stl/results/<node>
  --max-image-bytes <n>      EDGE_STL_MAX_IMAGE_BYTES        10485760
  --concurrency <n>          EDGE_STL_CONCURRENCY            1
  --queue-limit <n>          EDGE_STL_QUEUE_LIMIT            32 (then 429)
  --outbox-max-mb <n>        EDGE_STL_OUTBOX_MAX_MB          512 (then the oldest sample is dropped)
  --smoke-timeout-ms <n>     EDGE_STL_SMOKE_TIMEOUT_MS       30000
  --heartbeat-seconds <n>    EDGE_STL_HEARTBEAT_SECONDS      10
  --drop-confirm-ms <n>      EDGE_STL_DROP_CONFIRM_MS        5000 (a drop of a serving job must repeat this much later)
  --shutdown-timeout-ms <n>  EDGE_STL_SHUTDOWN_TIMEOUT_MS    10000 (then in-flight work is cut)
  --s3-timeout-ms <n>        EDGE_STL_S3_TIMEOUT_MS          30000 (an S3 request silent this long fails)
  --download-idle-timeout-ms <n>  EDGE_STL_DOWNLOAD_IDLE_TIMEOUT_MS  30000 (model download stalls)
  --download-timeout-ms <n>  EDGE_STL_DOWNLOAD_TIMEOUT_MS    900000 (whole model download)
  --max-aspect-ratio <x>     EDGE_STL_MAX_ASPECT_RATIO       8 (long side / short side; then 400)
  --max-resized-pixels <n>   EDGE_STL_MAX_RESIZED_PIXELS     1638400 (4 x 640^2, after resizing; then 400)
  --max-input-pixels <n>     EDGE_STL_MAX_INPUT_PIXELS       24000000 (decoded size; then 400)
  --inference-timeout-ms <n> EDGE_STL_INFERENCE_TIMEOUT_MS   10000 (queue wait included; then 503)
  -h, --help

Secrets come only from the environment, never from flags:
  S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY (or AWS_*)   standalone only (no --operator-url): with an
                                                         operator, samples go up by presigned URLs
  EDGE_STL_NODE_TOKEN                                    this node's token for the operator
  EDGE_STL_API_TOKEN                                     bearer token clients send to /v1/infer
  LOG_LEVEL                                              pino level (info)`;

const FLAGS = {
  node: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  bucket: { type: 'string' },
  'operator-url': { type: 'string' },
  'ca-file': { type: 'string' },
  'token-file': { type: 'string' },
  job: { type: 'string' },
  model: { type: 'string' },
  sampling: { type: 'string' },
  'threshold-img': { type: 'string' },
  'threshold-box': { type: 'string' },
  'max-per-minute': { type: 'string' },
  'random-rate': { type: 'string' },
  'webhook-url': { type: 'string' },
  'mqtt-url': { type: 'string' },
  'mqtt-topic': { type: 'string' },
  'max-image-bytes': { type: 'string' },
  concurrency: { type: 'string' },
  'queue-limit': { type: 'string' },
  'outbox-max-mb': { type: 'string' },
  'smoke-timeout-ms': { type: 'string' },
  'heartbeat-seconds': { type: 'string' },
  'drop-confirm-ms': { type: 'string' },
  'shutdown-timeout-ms': { type: 'string' },
  's3-timeout-ms': { type: 'string' },
  'download-idle-timeout-ms': { type: 'string' },
  'download-timeout-ms': { type: 'string' },
  'max-aspect-ratio': { type: 'string' },
  'max-resized-pixels': { type: 'string' },
  'max-input-pixels': { type: 'string' },
  'inference-timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type FlagName = Exclude<keyof typeof FLAGS, 'help'>;

/** Result of parsing the command line: a config, or a request for help. */
export type ParsedEdgeAgentArgs = { help: true } | { help: false; options: EdgeAgentOptions };

/**
 * Parses flags, falling back to `EDGE_STL_<FLAG>` environment variables. Credentials are read from
 * the environment only. Throws {@link UsageError} naming the bad flag.
 */
export function parseEdgeAgentArgs(
  argv: string[],
  env: NodeJS.ProcessEnv,
  s3FromEnv: (env: NodeJS.ProcessEnv) => S3Config,
): ParsedEdgeAgentArgs {
  const { values } = parseFlags({ args: argv, options: FLAGS, strict: true, allowPositionals: false });
  if (values.help) return { help: true };
  const get = (flag: FlagName): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const envName = `EDGE_STL_${flag.toUpperCase().replace(/-/g, '_')}`;
    return env[envName] === '' ? undefined : env[envName];
  };
  const num = (flag: FlagName, min: number, max?: number, integer = true): number | undefined =>
    numberFlag(flag, get(flag), { min, max, integer });
  const strategy = get('sampling');
  if (strategy !== undefined && !['ibt', 'all', 'random', 'none'].includes(strategy)) {
    throw new UsageError(`--sampling expects ibt, all, random or none, got "${strategy}"`);
  }
  const outboxMb = num('outbox-max-mb', 1);
  const heartbeat = num('heartbeat-seconds', 1);
  const sampling: Partial<SamplingSettings> = dropUndefined({
    strategy: strategy as SamplingSettings['strategy'] | undefined,
    thresholdImg: num('threshold-img', 0, 1, false),
    thresholdBox: num('threshold-box', 0, 1, false),
    maxPerMinute: num('max-per-minute', 0),
    randomRate: num('random-rate', 0, 1, false),
  });
  const limits: Partial<EdgeAgentLimits> = dropUndefined({
    maxImageBytes: num('max-image-bytes', 1),
    concurrency: num('concurrency', 1, 64),
    queueLimit: num('queue-limit', 0),
    outboxMaxBytes: outboxMb === undefined ? undefined : outboxMb * 1024 * 1024,
    smokeTimeoutMs: num('smoke-timeout-ms', 1),
    heartbeatIntervalSeconds: heartbeat,
    dropConfirmMs: num('drop-confirm-ms', 0),
    shutdownTimeoutMs: num('shutdown-timeout-ms', 100),
    s3TimeoutMs: num('s3-timeout-ms', 100),
    downloadIdleTimeoutMs: num('download-idle-timeout-ms', 100),
    downloadTimeoutMs: num('download-timeout-ms', 100),
    maxAspectRatio: num('max-aspect-ratio', 1, 1000, false),
    maxResizedPixels: num('max-resized-pixels', 1),
    maxInputPixels: num('max-input-pixels', 1),
    inferenceTimeoutMs: num('inference-timeout-ms', 1),
  });
  return {
    help: false,
    options: dropUndefined({
      node: get('node') ?? env.NODE_NAME,
      host: get('host'),
      port: num('port', 0, 65535),
      dataDir: get('data-dir') ?? './edge-agent-data',
      bucket: get('bucket'),
      operatorUrl: checkUrl('operator-url', get('operator-url'), ['http:', 'https:']),
      operatorToken: env.EDGE_STL_NODE_TOKEN || undefined,
      operatorTokenFile: get('token-file'),
      caFile: get('ca-file'),
      apiToken: env.EDGE_STL_API_TOKEN || undefined,
      job: parseJob(get('job')),
      initialModel: get('model'),
      webhookUrl: checkUrl('webhook-url', get('webhook-url'), ['http:', 'https:']),
      mqttUrl: checkUrl('mqtt-url', get('mqtt-url'), ['mqtt:', 'mqtts:', 'ws:', 'wss:', 'tcp:']),
      mqttTopic: get('mqtt-topic'),
      s3: env.S3_ENDPOINT ? s3FromEnv(env) : undefined,
      sampling,
      limits,
    }) as EdgeAgentOptions,
  };
}

/** `namespace/name` → JobKey. */
export function parseJob(raw: string | undefined): JobKey | undefined {
  if (raw === undefined) return undefined;
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(raw);
  if (!m) throw new UsageError(`--job expects <namespace>/<name> (DNS labels), got "${raw}"`);
  return { namespace: m[1], name: m[3] };
}

function checkUrl(flag: string, raw: string | undefined, protocols: string[]): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (err) {
    throw new UsageError(`--${flag} is not a URL: "${raw}"`, { cause: err });
  }
  if (!protocols.includes(url.protocol)) {
    throw new UsageError(`--${flag} must use ${protocols.join(' or ')}, got "${url.protocol}"`);
  }
  return raw;
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
