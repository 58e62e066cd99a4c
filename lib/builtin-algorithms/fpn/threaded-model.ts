import type {
  BaseModel,
  Detection,
  Hyperparameters,
  ImageSource,
  PredictDict,
} from '../../algorithm-api/types.js';
import { EdgeStlError } from '../../errors/index.js';
import { FpnWorkerPool, type FpnEngine } from './detector-pool.js';

/**
 * An FPN model served from its own worker thread (ONNX Runtime when the package carries
 * model.onnx, TF.js otherwise): inference never blocks the caller's event loop, and a thread
 * whose engine broke is replaced by loading the model again. For serving only (the edge agent);
 * training and evaluation use {@link FpnModel}.
 */
export class ThreadedFpnModel implements BaseModel {
  private pool?: FpnWorkerPool;

  constructor(private readonly hyperparameters: Hyperparameters = {}) {}

  /** The engine serving this model and why, once loaded. */
  get engine(): FpnEngine | null {
    return this.pool?.engine ?? null;
  }

  async load(modelZip: string): Promise<void> {
    await this.pool?.close();
    this.pool = await FpnWorkerPool.open(modelZip, { workers: 1, overrides: this.hyperparameters });
  }

  detect(image: ImageSource): Promise<Detection[]> {
    return this.loaded().detect(image);
  }

  predict(images: ImageSource[]): Promise<PredictDict> {
    return this.loaded().predict(images);
  }

  async train(): Promise<string> {
    throw servingOnly('train');
  }

  async save(): Promise<string> {
    throw servingOnly('save');
  }

  async evaluate(): Promise<Record<string, number>> {
    throw servingOnly('evaluate');
  }

  async dispose(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }

  private loaded(): FpnWorkerPool {
    if (!this.pool) throw new EdgeStlError('MODEL_NOT_READY', 'no model: load one first');
    return this.pool;
  }
}

function servingOnly(what: string): EdgeStlError {
  return new EdgeStlError('UNSUPPORTED', `ThreadedFpnModel serves only; ${what} with FpnModel`);
}
