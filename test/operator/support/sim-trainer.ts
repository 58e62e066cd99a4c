import { createHash, randomBytes } from 'node:crypto';
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { TrainingJobData, TrainingJobResult } from '../../../lib/queue/training-queue.js';
import { TRAINING_QUEUE } from '../../../lib/queue/training-queue.js';
import { modelKey, SHA256_METADATA_KEY } from '../../../lib/storage/layout.js';
import type { ObjectStore } from '../../../lib/storage/object-store.js';
import { formatS3Uri, parseS3Uri } from '../../../lib/storage/s3-uri.js';

export interface SimTrainerOptions {
  connection: ConnectionOptions;
  prefix: string;
  store: ObjectStore;
  /** The store of a round's job (as the real trainer's `storeFor`); `store` for every round when absent. */
  storeFor?: (data: TrainingJobData) => Promise<ObjectStore>;
  /** f1_score of the model trained in a round. */
  metric: (round: number) => number;
  /** Rounds that throw (once each). */
  failRounds?: Set<number>;
}

/**
 * A lightweight stand-in for the cloud trainer (the operator tests exercise the operator, not
 * training): a real BullMQ worker that publishes a small immutable model object per round under
 * the layout's key, with its sha256, and returns the TrainingJobResult contract.
 */
export class SimTrainer {
  readonly worker: Worker<TrainingJobData, TrainingJobResult>;
  readonly seen: TrainingJobData[] = [];
  gate: Promise<void> = Promise.resolve();

  constructor(private readonly opts: SimTrainerOptions) {
    this.worker = new Worker<TrainingJobData, TrainingJobResult>(TRAINING_QUEUE, (job) => this.process(job), {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: 4,
    });
    this.worker.on('error', () => undefined);
  }

  private async process(job: Job<TrainingJobData, TrainingJobResult>): Promise<TrainingJobResult> {
    const d = job.data;
    this.seen.push(d);
    await this.gate;
    const store = this.opts.storeFor ? await this.opts.storeFor(d) : this.opts.store;
    if (this.opts.failRounds?.delete(d.round)) throw new Error(`simulated failure of round ${d.round}`);
    const body = Buffer.concat([Buffer.from(`model ${d.namespace}/${d.job} r${d.round}\n`), randomBytes(64)]);
    const sha256 = createHash('sha256').update(body).digest('hex');
    const key = modelKey(d.namespace, d.job, d.round);
    await store.putObject(d.bucket, key, body, { metadata: { [SHA256_METADATA_KEY]: sha256 } });
    // Like the real trainer: the round uses every line of the labeled index as it is now.
    const labeledSamples = await this.countLabeled(store, d);
    const baseline = d.deployedModel
      ? { f1_score: this.opts.metric(Number(d.deployedModel.version.slice(1))) }
      : null;
    return {
      version: `v${d.round}`,
      uri: formatS3Uri(d.bucket, key),
      sha256,
      metrics: { f1_score: this.opts.metric(d.round) },
      baselineMetrics: baseline,
      trainSeconds: 0.01,
      labeledSamples,
    };
  }

  private async countLabeled(store: ObjectStore, d: TrainingJobData): Promise<number> {
    if (!d.dataset.labeledIndex) return 0;
    const { bucket, key } = parseS3Uri(d.dataset.labeledIndex);
    if (!(await store.stat(bucket, key))) return 0;
    const text = (await store.getBuffer(bucket, key)).toString('utf8');
    return text.split('\n').filter((l) => l.trim() !== '').length;
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
