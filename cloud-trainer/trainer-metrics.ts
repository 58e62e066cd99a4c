import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricPrefix } from '../lib/http/metric-names.js';

const PREFIX = metricPrefix('trainer');

/** Outcome of one processed job, as counted on `/metrics`. */
export type JobOutcome = 'completed' | 'failed' | 'unrecoverable' | 'released' | 'duplicate';

/**
 * The trainer's Prometheus metrics, in a registry of its own so that several trainers in one process
 * (tests, the local mode) never collide.
 */
export class TrainerMetrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({
    name: `${PREFIX}jobs_total`,
    help: 'Training jobs processed, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly trainingSeconds = new Histogram({
    name: `${PREFIX}training_seconds`,
    help: 'Wall time of the training step of a round',
    buckets: [1, 5, 15, 60, 300, 900, 3600, 14400],
    registers: [this.registry],
  });
  readonly lastLoss = new Gauge({
    name: `${PREFIX}last_loss`,
    help: 'Loss of the latest reported training iteration',
    registers: [this.registry],
  });
  readonly iteration = new Gauge({
    name: `${PREFIX}iteration`,
    help: 'Iteration of the running training job',
    registers: [this.registry],
  });
  readonly activeJobs = new Gauge({
    name: `${PREFIX}active_jobs`,
    help: 'Training jobs running in this process',
    registers: [this.registry],
  });
  readonly cacheHits = new Counter({
    name: `${PREFIX}dataset_cache_hits_total`,
    help: 'Dataset objects served from the local cache',
    registers: [this.registry],
  });
  readonly cacheMisses = new Counter({
    name: `${PREFIX}dataset_cache_misses_total`,
    help: 'Dataset objects downloaded from S3',
    registers: [this.registry],
  });
  readonly checkpoints = new Counter({
    name: `${PREFIX}checkpoints_total`,
    help: 'Checkpoints written to the scratch prefix',
    registers: [this.registry],
  });
}
