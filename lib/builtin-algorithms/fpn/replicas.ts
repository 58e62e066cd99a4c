import type { Worker } from 'node:worker_threads';
import type { DatasetSample } from '../../dataset/types.js';
import { EdgeStlError } from '../../errors/index.js';
import type { BackendChoice } from '../../tf/backend.js';
import type { FpnConfig } from './config.js';
import { spawnWorker } from './spawn-worker.js';

/** What a training replica is started with. */
export interface ReplicaData {
  source: string;
  samples: DatasetSample[];
  classes: string[];
  cfg: FpnConfig;
  seed: number;
  backend: BackendChoice;
}

/** Gradients of one replica step, flat in ParamStore order. */
export interface ReplicaResult {
  grads: Float32Array;
  loss: number;
  parts: number[];
}

/**
 * A data-parallel replica on a worker thread (tfjs wasm is single-threaded under Node, so this is
 * how training uses the second core).
 */
export class Replica {
  private waiting?: { resolve: (r: ReplicaResult) => void; reject: (e: Error) => void };
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on(
      'message',
      (m: { type: string; grads?: Float32Array; loss?: number; parts?: number[]; message?: string }) => {
        const w = this.waiting;
        this.waiting = undefined;
        if (m.type === 'grads') w?.resolve({ grads: m.grads!, loss: m.loss!, parts: m.parts! });
        else if (m.type === 'error')
          w?.reject(new EdgeStlError('TRAINING_REPLICA', m.message ?? 'replica failed'));
      },
    );
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => this.fail(new Error(`training replica exited with code ${code}`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.waiting?.reject(err);
    this.waiting = undefined;
  }

  /** Starts a replica; resolves once its images are loaded and its weight layout has `expectedSize` values. */
  static async start(data: ReplicaData, expectedSize: number): Promise<Replica> {
    const worker = spawnWorker('grad-worker', data);
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: { type: string; size?: number; message?: string }) => {
        if (m.type === 'ready' && m.size === expectedSize) resolve();
        else
          reject(
            new EdgeStlError(
              'TRAINING_REPLICA',
              m.message ?? `replica has ${m.size} weights, expected ${expectedSize}`,
            ),
          );
      });
      worker.once('error', reject);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    });
    return new Replica(worker);
  }

  /** Sends the weights and resolves with the gradients of the replica's next batch. */
  step(weights: Float32Array): Promise<ReplicaResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage({ type: 'step', weights });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
