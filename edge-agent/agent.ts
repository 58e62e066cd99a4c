import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BaseModelConstructor, Detection, PredictDict } from '../lib/algorithm-api/index.js';
import type {
  DesiredJob,
  HeartbeatReply,
  HeartbeatRequest,
  JobKey,
  SampleRecord,
} from '../lib/protocol/index.js';
import { jobKey, parseJobKey } from '../lib/protocol/index.js';
import type { Fetch } from '../lib/net/trusted-fetch.js';
import type { ObjectStore } from '../lib/storage/object-store.js';
import { AgentError } from './agent-error.js';
import type { EdgeAgentConfig } from './config.js';
import { HeartbeatLoop } from './heartbeat.js';
import { DropConfirmation } from './drop-confirmation.js';
import { checkResizedPixels, decodesCleanly, toJpeg, type ImageInput } from './image-input.js';
import { InferenceQueue } from './inference-queue.js';
import { JobRuntime } from './job-runtime.js';
import { AgentMetrics } from './metrics.js';
import { ModelInstaller } from './model-installer.js';
import { ModelManager } from './model-manager.js';
import { OperatorClient } from './operator-client.js';
import { Outbox } from './outbox.js';
import { detectionsFromPredictDict } from './predict-dict.js';
import { MqttSink, ResultDelivery, WebhookSink, type ResultSink } from './result-sink.js';
import { PresignedSampleTarget, StoreSampleTarget, type SampleTarget } from './sample-target.js';
import { StateStore } from './state-store.js';
import { Uploader } from './uploader.js';

/** Version string reported as `agentVersion`. */
export const AGENT_VERSION = '0.1.0';

export interface EdgeAgentDeps {
  log: Logger;
  /**
   * Object store for samples of a standalone agent (no operator URL); with an operator, samples go
   * through presigned URLs and this is ignored. Null keeps them in the outbox.
   */
  store: ObjectStore | null;
  /** A fetch trusting the operator's CA (EDGE_STL_CA_FILE), for the operator, S3 and model downloads. */
  fetch?: Fetch;
  /** Resolves a manifest's algorithm alias to a model class (default: the ClassFactory). */
  resolveAlgorithm?: (alias: string) => Promise<BaseModelConstructor>;
}

export interface InferRequest {
  image: ImageInput;
  /** `<namespace>/<name>`; optional when the agent serves one job. */
  job?: string;
  /** File name to carry in a `predict_dict` (multipart file name); defaults to `<id>.jpg`. */
  name?: string;
  format: 'detections' | 'ianvs';
  /** Aborted when the client went away: the request is dropped if it has not run yet. */
  signal?: AbortSignal;
}

export interface InferResult {
  model: { job: string; version: string };
  detections: Detection[];
  latencyMs: number;
  /** Set for `format: 'ianvs'`. */
  predictDict?: PredictDict;
}

/**
 * The edge agent's core, without HTTP: serves inference per job, samples into the durable outbox,
 * uploads, heartbeats and installs models. `app.ts` puts routes in front of it; `server.ts` runs
 * it. Construct with {@link EdgeAgent.open}, then {@link EdgeAgent.start}.
 */
export class EdgeAgent {
  readonly metrics: AgentMetrics;
  private readonly jobs = new Map<string, JobRuntime>();
  private readonly queue: InferenceQueue;
  private readonly installer: ModelInstaller;
  private readonly models: ModelManager;
  private readonly uploader: Uploader | null;
  private readonly results: ResultDelivery;
  private readonly heartbeat: HeartbeatLoop | null;
  private readonly drops: DropConfirmation;
  private readonly background = new Set<Promise<unknown>>();
  private closingFlag = false;
  private closed = false;

  private constructor(
    readonly config: EdgeAgentConfig,
    private readonly deps: EdgeAgentDeps,
    private readonly state: StateStore,
    readonly outbox: Outbox,
    metrics: AgentMetrics,
  ) {
    const { limits } = config;
    const log = deps.log;
    this.metrics = metrics;
    this.drops = new DropConfirmation(limits.dropConfirmMs);
    this.queue = new InferenceQueue(limits.concurrency, limits.queueLimit, (reason) =>
      metrics.inferencesDropped.inc({ reason }),
    );
    this.installer = new ModelInstaller({
      dataDir: config.dataDir,
      smokeTimeoutMs: limits.smokeTimeoutMs,
      log,
      download: {
        maxBackoffMs: limits.maxBackoffMs,
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
        idleTimeoutMs: limits.downloadIdleTimeoutMs,
        timeoutMs: limits.downloadTimeoutMs,
      },
      resolveAlgorithm: deps.resolveAlgorithm,
    });
    this.models = new ModelManager({
      installer: this.installer,
      state,
      metrics,
      log,
      retryDelayMs: limits.maxBackoffMs,
      smokeTimeoutMs: limits.smokeTimeoutMs,
      onStateChange: () => this.heartbeat?.poke(),
    });
    const client = config.operatorUrl
      ? new OperatorClient({
          operatorUrl: config.operatorUrl,
          token: config.operatorToken,
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
        })
      : null;
    const target = this.sampleTarget(client);
    this.uploader = target
      ? new Uploader({
          outbox,
          target,
          metrics,
          log,
          concurrency: limits.uploadConcurrency,
          maxBackoffMs: limits.maxBackoffMs,
          onUploaded: (record) => {
            const rt = this.jobs.get(jobKey(record.job));
            if (rt) rt.samplesUploaded += 1;
          },
        })
      : null;
    const sinks: ResultSink[] = [];
    if (config.webhookUrl) sinks.push(new WebhookSink(config.webhookUrl));
    if (config.mqttUrl)
      sinks.push(
        new MqttSink(
          config.mqttUrl,
          config.mqttTopic,
          `edge-stl-${config.node}-${randomBytes(3).toString('hex')}`,
        ),
      );
    this.results = new ResultDelivery(sinks, {
      metrics,
      log,
      queueLimit: limits.resultQueueLimit,
      maxBackoffMs: limits.maxBackoffMs,
    });
    this.heartbeat = client
      ? new HeartbeatLoop({
          client,
          node: config.node,
          report: () => this.report(),
          onReply: (reply) => this.applyReply(reply),
          intervalSeconds: state.current.heartbeatIntervalSeconds ?? limits.heartbeatIntervalSeconds,
          maxBackoffMs: limits.maxBackoffMs,
          metrics,
          log,
        })
      : null;
  }

  /** Presigned uploads when an operator is configured; else the standalone agent's own store. */
  private sampleTarget(client: OperatorClient | null): SampleTarget | null {
    if (client) {
      if (this.deps.store)
        this.deps.log.warn({}, 'S3 credentials ignored: samples go up through the operator’s presigned URLs');
      return new PresignedSampleTarget(client, this.config.node, {
        ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      });
    }
    if (!this.deps.store) return null;
    return new StoreSampleTarget(this.deps.store, (err, bucket) =>
      this.deps.log.debug({ err, bucket }, 'Bucket check failed; trying the upload anyway'),
    );
  }

  /** Opens the data directory: outbox recovery, persisted state, models from disk. */
  static async open(config: EdgeAgentConfig, deps: EdgeAgentDeps): Promise<EdgeAgent> {
    const metrics = new AgentMetrics(config.node);
    const state = StateStore.forDataDir(config.dataDir);
    await state.load();
    const outbox = await Outbox.open(join(config.dataDir, 'outbox'), {
      maxBytes: config.limits.outboxMaxBytes,
      onDrop: (record) => {
        metrics.samplesDropped.inc({ reason: 'outbox-full' });
        const rt = agent.jobs.get(jobKey(record.job));
        if (rt) rt.samplesDropped += 1;
        deps.log.warn({ id: record.id, job: jobKey(record.job) }, 'Outbox full: dropped the oldest sample');
      },
      onRejected: (stem, reason) =>
        deps.log.warn({ stem, reason }, 'Unreadable outbox record set aside in outbox/rejected'),
    });
    metrics.samplesQueued.set(outbox.size);
    const agent = new EdgeAgent(config, deps, state, outbox, metrics);
    await agent.restore();
    return agent;
  }

  get closing(): boolean {
    return this.closingFlag;
  }

  /** Starts uploads and heartbeats, and installs the initial model if the job has none. */
  async start(): Promise<void> {
    this.uploader?.start();
    const { initialModel, job } = this.config;
    if (initialModel) {
      const rt = this.runtime(job);
      if (!rt.slot.active) await this.models.install(rt, { job, source: { file: initialModel } });
    }
    for (const rt of this.jobs.values()) this.models.reconcile(rt);
    this.heartbeat?.start();
  }

  /** Why the agent cannot serve yet, or null when at least one job has a model. */
  notReadyReason(): string | null {
    if (this.closingFlag) return 'shutting down';
    if ([...this.jobs.values()].some((rt) => rt.slot.active)) return null;
    const resetting = [...this.jobs.values()].find((rt) => rt.resetting);
    if (resetting) return `reloading the model of ${resetting.id}: ${resetting.resetting}`;
    const failed = [...this.jobs.values()].find((rt) => rt.failed);
    if (failed) return `no model loaded: ${failed.failed!.reason}`;
    return this.jobs.size === 0 ? 'no job assigned yet' : 'no model loaded yet';
  }

  /** Jobs and their models, for `/readyz`. */
  describeJobs(): Array<{ job: string; version: string | null; state: string; reason?: string }> {
    return [...this.jobs.values()].map((rt) => ({
      job: rt.id,
      version: rt.slot.active?.version ?? null,
      state: rt.modelState,
      ...(rt.failed ? { reason: rt.failed.reason } : {}),
    }));
  }

  /** Runs one inference; samples and publishes the result in the background. */
  async infer(request: InferRequest): Promise<InferResult> {
    if (this.closingFlag) throw new AgentError(503, 'SHUTTING_DOWN', 'the agent is shutting down');
    const rt = this.pickJob(request.job);
    const { limits } = this.config;
    const shortSide = rt.slot.active?.manifest.inputShortSide;
    if (shortSide) checkResizedPixels(request.image, shortSide, limits.maxResizedPixels);
    const id = createHash('sha256').update(request.image.data).digest('hex');
    const name = request.name ?? `${id.slice(0, 16)}.jpg`;
    const result = await this.queue.run(() => this.runModel(rt, request, name), {
      signal: request.signal,
      deadline: Date.now() + limits.inferenceTimeoutMs,
    });
    this.afterInference(rt, request.image, id, result);
    return result;
  }

  private async runModel(rt: JobRuntime, request: InferRequest, name: string): Promise<InferResult> {
    const lease = rt.slot.acquire();
    if (!lease) {
      const why = rt.failed ? `model failed to load: ${rt.failed.reason}` : 'no model is loaded yet';
      throw new AgentError(503, 'NO_MODEL', `job ${rt.id}: ${why}`);
    }
    const { image } = request;
    const started = performance.now();
    try {
      const { model, version } = lease.loaded;
      let detections: Detection[];
      let predictDict: PredictDict | undefined;
      if (request.format === 'ianvs') {
        predictDict = await model.predict([{ name, data: image.data }]);
        detections = detectionsFromPredictDict(predictDict, name, image.width, image.height);
      } else {
        detections = await model.detect({ name, data: image.data });
      }
      const latencyMs = performance.now() - started;
      rt.inferences += 1;
      rt.recordLatency(latencyMs);
      this.metrics.inferenceSeconds.observe({ job: rt.id }, latencyMs / 1000);
      return {
        model: { job: rt.id, version },
        detections,
        latencyMs,
        ...(predictDict ? { predictDict } : {}),
      };
    } catch (err) {
      rt.inferenceErrors += 1;
      if (!(await decodesCleanly(image.data, this.config.limits.maxInputPixels))) {
        throw new AgentError(400, 'CORRUPT_IMAGE', 'the image is truncated or corrupt', { cause: err });
      }
      this.track(this.models.checkEngine(rt, lease.loaded, err));
      throw new AgentError(500, 'INFERENCE_FAILED', 'the model failed on this image', { cause: err });
    } finally {
      lease.release();
    }
  }

  private afterInference(rt: JobRuntime, image: ImageInput, id: string, result: InferResult): void {
    this.results.publish({
      node: this.config.node,
      job: rt.id,
      model: result.model,
      imageId: id,
      detections: result.detections,
      latencyMs: result.latencyMs,
      at: new Date().toISOString(),
    });
    const decision = rt.sampler.decide(result.detections);
    if (!decision.keep) {
      if (decision.reason === 'budget') this.metrics.samplesDropped.inc({ reason: 'budget' });
      return;
    }
    const record: SampleRecord = {
      id,
      job: rt.job,
      node: this.config.node,
      bucket: rt.bucket,
      createdAt: new Date().toISOString(),
      model: result.model,
      reason: decision.reason,
      image: { width: image.width, height: image.height, format: image.format },
      detections: result.detections,
    };
    this.track(this.keep(rt, record, image));
  }

  private async keep(rt: JobRuntime, record: SampleRecord, image: ImageInput): Promise<void> {
    try {
      const added = await this.outbox.add(record, await toJpeg(image, this.config.limits.maxInputPixels));
      if (added) this.metrics.samplesKept.inc({ job: rt.id });
    } catch (err) {
      // A kept sample that never reached disk is a loss like an outbox-full drop: count it.
      const reason = (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'disk-full' : 'write-failed';
      this.metrics.samplesDropped.inc({ reason });
      rt.samplesDropped += 1;
      this.deps.log.error(
        { err, id: record.id, job: rt.id, reason },
        'Writing a sample to the outbox failed',
      );
    } finally {
      this.metrics.samplesQueued.set(this.outbox.size);
    }
  }

  /** The heartbeat report: every job's models, state and counters. */
  report(): HeartbeatRequest {
    const queued = this.outbox.countByJob();
    return {
      node: this.config.node,
      agentVersion: AGENT_VERSION,
      jobs: [...this.jobs.values()].map((rt) => rt.report(queued.get(rt.id) ?? 0)),
    };
  }

  /**
   * Applies the operator's desired state: persists it first, then acts on it. A drop of a job
   * whose model serves waits until the operator repeats it (see {@link DropConfirmation}).
   */
  async applyReply(received: HeartbeatReply): Promise<void> {
    const jobs = this.drops.filter(received.jobs, (id) => Boolean(this.jobs.get(id)?.slot.active));
    for (const held of received.jobs.filter((d) => !jobs.includes(d)))
      this.deps.log.warn(
        { job: jobKey(held.job), confirmMs: this.config.limits.dropConfirmMs },
        'Operator asks to drop a serving job; keeping it until it asks again',
      );
    const reply: HeartbeatReply = { ...received, jobs };
    const current = this.state.current;
    const unchanged =
      current.heartbeatIntervalSeconds === reply.heartbeatIntervalSeconds &&
      reply.jobs.every(
        (d) => !d.drop && JSON.stringify(current.jobs[jobKey(d.job)]?.desired) === JSON.stringify(d),
      );
    // Most replies repeat the last one: skip the fsync then.
    if (!unchanged) await this.persistReply(reply);
    for (const desired of reply.jobs) {
      if (desired.drop) await this.dropJob(desired.job);
      else this.applyDesired(desired);
    }
  }

  private async persistReply(reply: HeartbeatReply): Promise<void> {
    await this.state.update((s) => {
      s.heartbeatIntervalSeconds = reply.heartbeatIntervalSeconds;
      for (const desired of reply.jobs) {
        const id = jobKey(desired.job);
        if (desired.drop) delete s.jobs[id];
        else (s.jobs[id] ??= { desired: null, active: null, previous: null }).desired = desired;
      }
    });
  }

  private applyDesired(desired: DesiredJob): void {
    const rt = this.runtime(desired.job);
    rt.desired = desired;
    rt.bucket = desired.storage.bucket;
    rt.sampler.update(desired.sampling);
    this.models.reconcile(rt);
  }

  private async dropJob(job: JobKey): Promise<void> {
    const rt = this.jobs.get(jobKey(job));
    if (!rt) return;
    this.jobs.delete(rt.id);
    if (rt.installing) await rt.installing;
    await rt.slot.clear();
    this.metrics.setActiveModel(rt.id, null);
    await this.installer.removeJob(job);
    this.deps.log.info({ job: rt.id }, 'Job dropped');
  }

  /** Refuses new inferences (503) from now on; in-flight ones finish. First step of a shutdown. */
  stopAccepting(): void {
    this.closingFlag = true;
  }

  /**
   * Stops heartbeats and uploads, waits for sample writes, disposes the models, flushes state.
   * Model downloads stop at once (they resume at the next start). When `deadline` aborts, uploads
   * still in flight are abandoned: their samples stay in the outbox and go up after a restart.
   */
  async close(deadline?: AbortSignal): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closingFlag = true;
    this.installer.abort();
    await this.heartbeat?.stop();
    await Promise.allSettled([...this.background]);
    await this.uploader?.stop(deadline);
    await this.results.close(Math.min(2000, this.config.limits.shutdownTimeoutMs));
    for (const rt of this.jobs.values()) {
      if (rt.installing) await rt.installing;
      await rt.slot.clear();
    }
    await this.state.update(() => {});
  }

  private async restore(): Promise<void> {
    for (const [id, persisted] of Object.entries(this.state.current.jobs)) {
      const rt = this.runtime(parseJobKey(id));
      if (persisted.desired) {
        rt.desired = persisted.desired;
        rt.bucket = persisted.desired.storage.bucket;
        rt.sampler.update(persisted.desired.sampling);
      }
      await this.models.restore(rt);
    }
  }

  private runtime(job: JobKey): JobRuntime {
    const id = jobKey(job);
    let rt = this.jobs.get(id);
    if (!rt) {
      rt = new JobRuntime(job, this.config.sampling, this.config.bucket, (err) =>
        this.deps.log.warn({ err, job: id }, 'Disposing an old model failed'),
      );
      this.jobs.set(id, rt);
    }
    return rt;
  }

  private pickJob(requested: string | undefined): JobRuntime {
    if (requested) {
      const rt = this.jobs.get(requested);
      if (!rt) throw new AgentError(404, 'UNKNOWN_JOB', `this agent does not serve job "${requested}"`);
      return rt;
    }
    const fallback = this.jobs.get(jobKey(this.config.job));
    if (fallback) return fallback;
    if (this.jobs.size === 1) return [...this.jobs.values()][0];
    if (this.jobs.size === 0)
      throw new AgentError(503, 'NO_MODEL', 'no job assigned yet: no model is loaded');
    throw new AgentError(400, 'JOB_REQUIRED', `this agent serves several jobs; pass ?job=<namespace>/<name>`);
  }

  private track(task: Promise<unknown>): void {
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }
}
