import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Detection, ImageSource, PredictDict } from '../../algorithm-api/types.js';
import { EdgeStlError } from '../../errors/index.js';
import { CorruptImageError } from '../../image/corrupt-image-error.js';
import type { BackendChoice } from '../../tf/backend.js';
import { spawnWorker } from './spawn-worker.js';

/** Which engine a model serves with, and why. */
export interface FpnEngine {
  name: 'onnx' | 'tfjs';
  note: string;
}

interface WorkerReady {
  ready: boolean;
  classes?: string[];
  engine?: FpnEngine;
  error?: { message: string };
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Set when the thread died: its calls fail at once instead of waiting forever. */
  dead: Error | null;
  busy: number;
  pending: Map<number, Pending>;
}

/** Options of {@link FpnWorkerPool.open}. */
export interface PoolOptions {
  /** Worker threads, each with its own model copy and wasm instance (default: cores, at most 2). */
  workers?: number;
  backend?: BackendChoice;
  /** Inference hyperparameters (score_threshold, nms_iou, max_per_class). */
  overrides?: Record<string, unknown>;
}

function errorFrom(e: { message: string; code?: string; file?: string }): Error {
  if (e.code === 'CORRUPT_IMAGE') {
    const err = new CorruptImageError(e.file ?? 'image', 'decoding failed');
    err.message = e.message;
    return err;
  }
  return e.code ? new EdgeStlError(e.code, e.message) : new Error(e.message);
}

/**
 * Serves one FPN model from several worker threads, so that inference uses every core (tfjs wasm
 * runs one thread per instance under Node). Requests go to the least busy worker. A corrupt image
 * rejects with CorruptImageError as the in-thread model does.
 */
export class FpnWorkerPool {
  private nextId = 1;

  private constructor(
    private readonly slots: Slot[],
    readonly classes: string[],
    /** The engine the workers serve with, and why (see FpnModel.engine). */
    readonly engine: FpnEngine,
  ) {}

  static async open(modelZip: string, options: PoolOptions = {}): Promise<FpnWorkerPool> {
    const n = Math.max(1, options.workers ?? Math.min(2, availableParallelism()));
    const workerData = { modelZip, backend: options.backend ?? 'auto', overrides: options.overrides ?? {} };
    const started = await Promise.allSettled(
      Array.from({ length: n }, async () => {
        const worker = spawnWorker('detect-worker', workerData);
        const ready = await new Promise<{ classes: string[]; engine: FpnEngine }>((resolve, reject) => {
          worker.once('message', (m: WorkerReady) =>
            m.ready
              ? resolve({ classes: m.classes!, engine: m.engine! })
              : reject(new EdgeStlError('MODEL_LOAD_FAILED', m.error?.message ?? 'worker failed')),
          );
          worker.once('error', reject);
        }).catch(async (err: unknown) => {
          await worker.terminate();
          throw err;
        });
        return { worker, ...ready };
      }),
    );
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((o) => o.worker.terminate()));
      throw failed.reason;
    }
    const slots = ok.map(({ worker }) => {
      const slot: Slot = { worker, dead: null, busy: 0, pending: new Map() };
      worker.on(
        'message',
        (m: { id: number; result?: unknown; error?: { message: string; code?: string; file?: string } }) => {
          const p = slot.pending.get(m.id);
          if (!p) return;
          slot.pending.delete(m.id);
          slot.busy--;
          if (m.error) p.reject(errorFrom(m.error));
          else p.resolve(m.result);
        },
      );
      worker.on('error', (err) => {
        for (const p of slot.pending.values()) p.reject(err);
        slot.pending.clear();
      });
      worker.on('exit', (code) => {
        slot.dead = new EdgeStlError('ENGINE_DEAD', `the inference thread exited (code ${code})`);
        for (const p of slot.pending.values()) p.reject(slot.dead);
        slot.pending.clear();
      });
      return slot;
    });
    return new FpnWorkerPool(slots, ok[0].classes, ok[0].engine);
  }

  /** Number of worker threads. */
  get size(): number {
    return this.slots.length;
  }

  private call<T>(op: 'detect' | 'predict', images: ImageSource[]): Promise<T> {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    if (slot.dead) return Promise.reject(slot.dead);
    const id = this.nextId++;
    slot.busy++;
    return new Promise<T>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      slot.worker.postMessage({ id, op, images });
    });
  }

  /** Detections in original pixels (see FpnModel.detect). */
  detect(image: ImageSource): Promise<Detection[]> {
    return this.call('detect', [image]);
  }

  /** Ianvs predict_dict (see FpnModel.predict). */
  predict(images: ImageSource[]): Promise<PredictDict> {
    return this.call('predict', images);
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
