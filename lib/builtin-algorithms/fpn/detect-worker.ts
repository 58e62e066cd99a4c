/**
 * Worker thread of FpnWorkerPool: loads one model.zip into its own wasm instance and answers
 * detect / predict requests. See detector-pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ImageSource } from '../../algorithm-api/types.js';
import { initBackend, type BackendChoice } from '../../tf/backend.js';
import { FpnModel } from './fpn-model.js';

interface Request {
  id: number;
  op: 'detect' | 'predict';
  images: ImageSource[];
}

const data = workerData as { modelZip: string; backend: BackendChoice; overrides: Record<string, unknown> };
const port = parentPort!;

function toSource(s: ImageSource): ImageSource {
  // Buffers arrive as plain Uint8Arrays after structured cloning.
  return typeof s === 'string'
    ? s
    : { name: s.name, data: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength) };
}

try {
  await initBackend(data.backend);
  const model = new FpnModel({ ...data.overrides, backend: data.backend });
  await model.load(data.modelZip);
  port.on('message', (req: Request) => {
    const images = req.images.map(toSource);
    const work = req.op === 'detect' ? model.detect(images[0]) : model.predict(images);
    work.then(
      (result) => port.postMessage({ id: req.id, result }),
      (err: Error & { code?: string; file?: string }) =>
        port.postMessage({
          id: req.id,
          error: { message: err.message, code: err.code, file: err.file, name: err.name },
        }),
    );
  });
  port.postMessage({ ready: true, classes: model.classNames, engine: model.engine });
} catch (err) {
  port.postMessage({ ready: false, error: { message: err instanceof Error ? err.message : String(err) } });
}
