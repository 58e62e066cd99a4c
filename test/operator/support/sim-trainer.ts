import { createHash, randomBytes } from 'node:crypto';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { watchRoundCancellation } from '../../../lib/queue/round-cancellation.js';
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

/** A round the simulated trainer stopped because it was cancelled. */
export interface CancelledRound {
  jobId: string;
  reason: string;
  /** When it wrote its late checkpoint, just before failing. */
  lateWriteKey: string;
}

/**
 * A lightweight stand-in for the cloud trainer (the operator tests exercise the operator, not
 * training): a real BullMQ worker that publishes a small immutable model object per round under
 * the layout's key, with its sha256, and returns the TrainingJobResult contract. While it waits at
 * its gate it honours cancellation like the cloud trainer (lib/queue/round-cancellation), and, like
 * a trainer caught between steps, writes one last checkpoint after the cancel before it stops.
 */
export class SimTrainer {
  readonly worker: Worker<TrainingJobData, TrainingJobResult>;
  readonly seen: TrainingJobData[] = [];
  /** Queue job id of each entry of `seen`. */
  readonly seenIds: string[] = [];
  readonly cancelled: CancelledRound[] = [];
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
    const store = this.opts.storeFor ? await this.opts.storeFor(d) : this.opts.store;
    this.seenIds.push(job.id!);
    const watch = watchRoundCancellation(this.worker, job.id!, 50);
    try {
      await Promise.race([
        this.gate,
        new Promise<void>((resolve) => watch.signal.addEventListener('abort', () => resolve())),
      ]);
    } finally {
      watch.stop();
    }
    if (watch.signal.aborted) {
      const reason = (watch.signal.reason as Error).message;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lateWriteKey = `scratch/${d.namespace}/${d.job}/r${d.round}/${job.id}/late-checkpoint`;
      await store.putObject(d.bucket, lateWriteKey, 'written after the cancel');
      this.cancelled.push({ jobId: job.id!, reason, lateWriteKey });
      throw new UnrecoverableError(reason);
    }
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
