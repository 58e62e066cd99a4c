import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createLogger } from '../log.js';
import { UsageError } from '../errors/index.js';
import { registerFastGradients } from './fast-gradients.js';
import { registerWasmKernels } from './wasm-kernels.js';

/** What `--backend` accepts. */
export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** The backend that was chosen, and why (also logged). */
export interface BackendInfo {
  name: string;
  reason: string;
}

const log = createLogger('tf-backend');
const require = createRequire(import.meta.url);
let current: BackendInfo | undefined;

/** Directory holding the `.wasm` binaries of the installed tfjs-backend-wasm: never fetched from the net. */
export function wasmBinaryDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
}

/** tfjs-node-gpu, then tfjs-node: optional dependencies that register the `tensorflow` backend on import. */
async function tryTensorflow(): Promise<string | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (await tf.setBackend('tensorflow')) return pkg;
    } catch (err) {
      log.debug({ pkg, err: String(err) }, 'TensorFlow binding not usable');
    }
  }
  return undefined;
}

async function tryWasm(): Promise<boolean> {
  try {
    setWasmPaths(wasmBinaryDir());
    return await tf.setBackend('wasm');
  } catch (err) {
    log.warn({ err: String(err) }, 'wasm backend failed to start');
    return false;
  }
}

/**
 * The process-wide default: `EDGE_STL_BACKEND` (the Helm chart sets it), else `auto`. A model's
 * `backend` hyperparameter overrides it; a command's `--backend` flag calls `initBackend` first.
 */
export function defaultBackendChoice(env: NodeJS.ProcessEnv = process.env): BackendChoice {
  return (env.EDGE_STL_BACKEND as BackendChoice | undefined) || 'auto';
}

/**
 * Selects and initialises the TF.js backend once per process. `auto` tries `tensorflow`
 * (tfjs-node-gpu, then tfjs-node), then `wasm`, then `cpu`; an explicit choice that is not
 * available falls down the same order and says so. Registers the fast composite gradients and
 * the wasm kernels tfjs lacks. Idempotent: a second call returns the first choice.
 */
export async function initBackend(choice: BackendChoice = defaultBackendChoice()): Promise<BackendInfo> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new UsageError(`unknown backend "${choice}"; expected one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (current) {
    if (choice !== 'auto' && choice !== current.name) {
      log.warn({ requested: choice, active: current.name }, 'Backend already initialised; keeping it');
    }
    return current;
  }
  registerWasmKernels();
  registerFastGradients();
  let info: BackendInfo | undefined;
  if (choice === 'auto' || choice === 'tensorflow') {
    const pkg = await tryTensorflow();
    if (pkg) info = { name: 'tensorflow', reason: `${pkg} is installed` };
  }
  if (!info && choice !== 'cpu') {
    if (await tryWasm()) {
      const why = choice === 'wasm' ? 'requested' : 'no TensorFlow binding installed (tfjs-node[-gpu])';
      info = { name: 'wasm', reason: `${why}; simd=${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}` };
    }
  }
  if (!info) {
    await tf.setBackend('cpu');
    info = {
      name: 'cpu',
      reason: choice === 'cpu' ? 'requested' : 'neither tensorflow nor wasm could start',
    };
  }
  await tf.ready();
  current = info;
  log.info({ backend: info.name, requested: choice, reason: info.reason }, 'TF.js backend selected');
  return info;
}

/** The active backend, when `initBackend` ran. */
export function activeBackend(): BackendInfo | undefined {
  return current;
}
