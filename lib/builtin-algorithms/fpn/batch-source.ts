import type { Worker } from 'node:worker_threads';
import type { Dataset, DatasetSample } from '../../dataset/types.js';
import { EdgeStlError } from '../../errors/index.js';
import { BatchMaker, type TrainBatch } from './batch-maker.js';
import type { FpnConfig } from './config.js';
import { makeRng } from '../../random.js';
import { spawnWorker } from './spawn-worker.js';
import { loadTrainImages } from './train-data.js';

/** Where training batches come from: the main thread, or a worker thread that prepares them ahead. */
export interface BatchSource {
  /** Number of labeled training images. */
  readonly images: number;
  next(): Promise<TrainBatch>;
  close(): Promise<void>;
}

/** What the batch worker is started with. */
export interface BatchWorkerData {
  source: string;
  samples: DatasetSample[];
  classes: string[];
  cfg: FpnConfig;
  seed: number;
}

class InlineSource implements BatchSource {
  constructor(
    private readonly maker: BatchMaker,
    readonly images: number,
  ) {}

  async next(): Promise<TrainBatch> {
    return this.maker.next();
  }

  async close(): Promise<void> {}
}

/**
 * Decoding, augmentation and RPN targets on a worker thread (the second core), one batch ahead.
 * Runs the compiled `.js` worker in a build, the `.ts` one through tsx from sources.
 */
class WorkerSource implements BatchSource {
  private waiting: Array<{ resolve: (b: TrainBatch) => void; reject: (e: Error) => void }> = [];
  private failure?: Error;

  private constructor(
    private readonly worker: Worker,
    readonly images: number,
  ) {
    worker.on('message', (msg: { type: string; batch?: TrainBatch; message?: string }) => {
      if (msg.type === 'batch') this.waiting.shift()?.resolve(msg.batch!);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`batch worker exited with code ${code}`));
    });
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  static async start(data: BatchWorkerData): Promise<WorkerSource> {
    const worker = spawnWorker('batch-worker', data);
    const images = await new Promise<number>((resolve, reject) => {
      worker.once('message', (msg: { type: string; images?: number; message?: string; code?: string }) => {
        if (msg.type === 'ready') resolve(msg.images!);
        else reject(new EdgeStlError(msg.code ?? 'TRAINING_DATA', msg.message ?? 'batch worker failed'));
      });
      worker.once('error', reject);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new WorkerSource(worker, images);
  }

  next(): Promise<TrainBatch> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage({ type: 'next' });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/**
 * Opens the training batch pipeline: on a worker thread when `data_workers >= 1` (default),
 * else on the main thread.
 */
export async function openBatchSource(
  dataset: Dataset,
  classes: string[],
  cfg: FpnConfig,
  seed: number,
): Promise<BatchSource> {
  const samples = dataset.samples.filter((s) => s.annotationPath);
  if (cfg.data_workers >= 1)
    return WorkerSource.start({ source: dataset.source, samples, classes, cfg, seed });
  const images = await loadTrainImages({ source: dataset.source, samples }, classes, cfg.short_side);
  return new InlineSource(new BatchMaker(images, cfg, makeRng(seed)), images.length);
}
