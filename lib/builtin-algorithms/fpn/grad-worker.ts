/**
 * Data-parallel training replica: its own wasm instance, weights and batches (decoded and
 * augmented here). Each step it receives the current weights, computes the gradients of one
 * batch and sends them back; the main thread averages and applies them. See replicas.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../../tf/backend.js';
import { BatchMaker } from './batch-maker.js';
import { FpnDetector } from './detector.js';
import { batchGradients, packTensors, unpackInto } from './gradients.js';
import { makeRng } from '../../random.js';
import { ParamStore } from './params.js';
import type { ReplicaData } from './replicas.js';
import { loadTrainImages } from './train-data.js';
import * as tf from '@tensorflow/tfjs-core';

const data = workerData as ReplicaData;
const port = parentPort!;

try {
  await initBackend(data.backend);
  const params = new ParamStore(data.cfg.seed);
  const detector = new FpnDetector(data.cfg, data.classes.length, params);
  detector.build();
  const images = await loadTrainImages(
    { source: data.source, samples: data.samples },
    data.classes,
    data.cfg.short_side,
  );
  const maker = new BatchMaker(images, data.cfg, makeRng(data.seed));
  const rng = makeRng(data.seed + 1);
  port.on('message', (msg: { type: 'step'; weights: Float32Array }) => {
    try {
      unpackInto(params, msg.weights);
      const g = batchGradients(detector, params, maker.next(), rng);
      const flat = packTensors(params, g.grads);
      tf.dispose(Object.values(g.grads));
      port.postMessage({ type: 'grads', grads: flat, loss: g.loss, parts: g.parts }, [
        flat.buffer as ArrayBuffer,
      ]);
    } catch (err) {
      port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  });
  port.postMessage({ type: 'ready', size: [...params.vars.values()].reduce((a, v) => a + v.size, 0) });
} catch (err) {
  port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
