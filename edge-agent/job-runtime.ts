import type {
  AgentJobReport,
  DesiredJob,
  JobKey,
  ModelState,
  SamplingSettings,
} from '../lib/protocol/index.js';
import { MAX_REASON_LENGTH, jobKey } from '../lib/protocol/index.js';
import { ModelSlot } from './model-slot.js';
import { Sampler } from './sampler.js';

const LATENCY_WINDOW = 256;

/** A version that failed to install, so the same version is not retried on every heartbeat. */
export interface FailedInstall {
  version: string;
  sha256: string;
  reason: string;
  /** Epoch ms after which a retryable failure (e.g. a download) may be tried again. */
  retryAfter: number | null;
}

/**
 * Everything the agent keeps for one job it serves: the model slot, the sampler, where samples
 * go, the model state reported to the operator and the counters behind the heartbeat report.
 */
export class JobRuntime {
  readonly id: string;
  readonly slot: ModelSlot;
  readonly sampler: Sampler;
  bucket: string;
  desired: DesiredJob | null = null;
  /** Version being installed, or null. */
  target: string | null = null;
  failed: FailedInstall | null = null;
  installing: Promise<void> | null = null;
  /** Why the active model is being reloaded (its engine became unusable), or null. */
  resetting: string | null = null;
  inferences = 0;
  inferenceErrors = 0;
  samplesUploaded = 0;
  samplesDropped = 0;
  private readonly latencies: number[] = [];

  constructor(
    readonly job: JobKey,
    sampling: SamplingSettings,
    bucket: string,
    onDisposeError: (err: unknown) => void,
  ) {
    this.id = jobKey(job);
    this.slot = new ModelSlot(onDisposeError);
    this.sampler = new Sampler(sampling);
    this.bucket = bucket;
  }

  /** The state reported upstream. There is no "no model" state, so waiting for one is Loading. */
  get modelState(): ModelState {
    if (this.target !== null || this.resetting !== null) return 'Loading';
    if (this.failed) return 'FailedToLoad';
    return this.slot.active ? 'Loaded' : 'Loading';
  }

  recordLatency(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
  }

  report(samplesQueued: number): AgentJobReport {
    const report: AgentJobReport = {
      job: this.job,
      activeModel: this.slot.active?.version ?? null,
      targetModel: this.target ?? this.failed?.version ?? null,
      modelState: this.modelState,
      samplesQueued,
      samplesUploaded: this.samplesUploaded,
      samplesDropped: this.samplesDropped,
      inferences: this.inferences,
      inferenceErrors: this.inferenceErrors,
    };
    // The operator refuses longer reasons; the start of a load error says what went wrong.
    if (this.failed && this.target === null) report.reason = this.failed.reason.slice(0, MAX_REASON_LENGTH);
    if (this.latencies.length > 0) {
      const sorted = [...this.latencies].sort((a, b) => a - b);
      report.latencyMsP50 = sorted[Math.floor((sorted.length - 1) / 2)];
    }
    return report;
  }
}
