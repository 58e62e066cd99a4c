/**
 * Worker thread of the training data pipeline: decodes and resizes every training image once
 * (sharp), then keeps one batch ready ahead (random crops, flips, normalisation, RPN targets)
 * while the main thread runs the network on the previous one. See batch-source.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BatchMaker, batchTransferList } from './batch-maker.js';
import type { BatchWorkerData } from './batch-source.js';
import { makeRng } from '../../random.js';
import { loadTrainImages } from './train-data.js';

const data = workerData as BatchWorkerData;
const port = parentPort!;

try {
  const images = await loadTrainImages(
    { source: data.source, samples: data.samples },
    data.classes,
    data.cfg.short_side,
  );
  const maker = new BatchMaker(images, data.cfg, makeRng(data.seed));
  let ready = images.length ? maker.next() : undefined;
  port.postMessage({ type: 'ready', images: images.length });
  port.on('message', (msg: { type: string }) => {
    if (msg.type !== 'next' || !ready) return;
    const batch = ready;
    port.postMessage({ type: 'batch', batch }, batchTransferList(batch));
    ready = maker.next();
  });
} catch (err) {
  port.postMessage({
    type: 'error',
    message: err instanceof Error ? err.message : String(err),
    code: (err as { code?: string }).code,
  });
}
