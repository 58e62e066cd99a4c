import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { metricPrefix } from '../lib/http/metric-names.js';

const PREFIX = metricPrefix('agent');

/** Model states as a gauge value, so one series per job answers "what is it doing". */
export const MODEL_STATE_VALUE = { None: 0, Loading: 1, Loaded: 2, FailedToLoad: 3 } as const;

/**
 * The agent's Prometheus metrics, in a registry of its own so that several agents in one process
 * (local mode, tests) never share or clash on series.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly inferenceSeconds: Histogram<'job'>;
  readonly requests: Counter<'status'>;
  readonly samplesKept: Counter<'job'>;
  readonly samplesQueued: Gauge;
  readonly samplesUploaded: Counter;
  readonly samplesDropped: Counter<'reason'>;
  readonly uploadFailures: Counter;
  readonly modelInfo: Gauge<'job' | 'version'>;
  readonly modelState: Gauge<'job'>;
  readonly modelInstalls: Counter<'job' | 'result'>;
  readonly heartbeatFailures: Counter;
  readonly heartbeats: Counter;
  readonly resultDeliveries: Counter<'sink' | 'result'>;
  readonly inflight: Gauge;
  readonly inferencesDropped: Counter<'reason'>;
  readonly engineResets: Counter<'job'>;
  readonly inferenceEngine: Gauge<'job' | 'engine'>;
  private readonly engines = new Map<string, string>();
  private readonly activeVersions = new Map<string, string>();

  constructor(node: string, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
    this.inferenceSeconds = new Histogram({
      name: `${PREFIX}inference_seconds`,
      help: 'Inference latency (model time, excluding the queue wait)',
      labelNames: ['job'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.requests = new Counter({
      name: `${PREFIX}infer_requests_total`,
      help: 'POST /v1/infer replies by HTTP status',
      labelNames: ['status'],
      registers,
    });
    this.samplesKept = new Counter({
      name: `${PREFIX}samples_kept_total`,
      help: 'Images the sampler kept',
      labelNames: ['job'],
      registers,
    });
    this.samplesQueued = new Gauge({
      name: `${PREFIX}samples_queued`,
      help: 'Samples in the on-disk outbox',
      registers,
    });
    this.samplesUploaded = new Counter({
      name: `${PREFIX}samples_uploaded_total`,
      help: 'Samples uploaded to the object store',
      registers,
    });
    this.samplesDropped = new Counter({
      name: `${PREFIX}samples_dropped_total`,
      help: 'Samples dropped: outbox full (oldest dropped), over the per-minute budget, disk full or another write failure',
      labelNames: ['reason'],
      registers,
    });
    this.uploadFailures = new Counter({
      name: `${PREFIX}upload_failures_total`,
      help: 'Failed sample upload attempts (each is retried)',
      registers,
    });
    this.modelInfo = new Gauge({
      name: `${PREFIX}model_info`,
      help: 'Active model version per job (value 1)',
      labelNames: ['job', 'version'],
      registers,
    });
    this.modelState = new Gauge({
      name: `${PREFIX}model_state`,
      help: 'Model state per job: 0 none, 1 Loading, 2 Loaded, 3 FailedToLoad',
      labelNames: ['job'],
      registers,
    });
    this.modelInstalls = new Counter({
      name: `${PREFIX}model_installs_total`,
      help: 'Model installs by result',
      labelNames: ['job', 'result'],
      registers,
    });
    this.heartbeats = new Counter({
      name: `${PREFIX}heartbeats_total`,
      help: 'Successful heartbeats',
      registers,
    });
    this.heartbeatFailures = new Counter({
      name: `${PREFIX}heartbeat_failures_total`,
      help: 'Failed heartbeats (operator unreachable or refusing)',
      registers,
    });
    this.resultDeliveries = new Counter({
      name: `${PREFIX}result_deliveries_total`,
      help: 'Result deliveries to the webhook / MQTT by result (delivered, retried, dropped)',
      labelNames: ['sink', 'result'],
      registers,
    });
    this.inflight = new Gauge({
      name: `${PREFIX}inflight_requests`,
      help: 'Inference requests running or waiting',
      registers,
    });
    this.inferencesDropped = new Counter({
      name: `${PREFIX}inferences_dropped_total`,
      help: 'Inferences answered without a result: client-gone (dropped before running) or deadline (503)',
      labelNames: ['reason'],
      registers,
    });
    this.engineResets = new Counter({
      name: `${PREFIX}engine_resets_total`,
      help: 'Models reloaded because an inference error left the engine unusable',
      labelNames: ['job'],
      registers,
    });
    this.inferenceEngine = new Gauge({
      name: `${PREFIX}inference_engine`,
      help: 'Engine serving each job (value 1): onnx (ONNX Runtime) or tfjs (the fallback)',
      labelNames: ['job', 'engine'],
      registers,
    });
  }

  /** Records the engine serving a job (one series per job). */
  setEngine(job: string, engine: string | null): void {
    const previous = this.engines.get(job);
    if (previous !== undefined) this.inferenceEngine.remove({ job, engine: previous });
    if (engine) {
      this.inferenceEngine.set({ job, engine }, 1);
      this.engines.set(job, engine);
    } else {
      this.engines.delete(job);
    }
  }

  /** Records the version serving a job (one series per job). */
  setActiveModel(job: string, version: string | null): void {
    const previous = this.activeVersions.get(job);
    if (previous !== undefined) this.modelInfo.remove({ job, version: previous });
    if (version) {
      this.modelInfo.set({ job, version }, 1);
      this.activeVersions.set(job, version);
    } else {
      this.activeVersions.delete(job);
    }
  }
}
