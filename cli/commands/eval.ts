import { parseArgs } from 'node:util';
import { loadModel } from '../../lib/algorithms/model-loader.js';
import { parseHyperparameterFlags } from '../../lib/cli/hyperparameters.js';
import { loadDataset } from '../../lib/dataset/index.js';
import { UsageError } from '../../lib/errors/index.js';
import { BACKEND_CHOICES, type BackendChoice } from '../../lib/tf/index.js';

const USAGE = `Usage: edge-stl eval --model MODEL.zip --test-index PATH [--backend auto|tensorflow|wasm|cpu] [--hp key=value ...]

Predicts every image of the Ianvs index and scores it. The last stdout line is one JSON object:
{"f1_score": <Ianvs PCB-AoI F1>, "mAP50": <VOC mAP@0.5>, "images": <n>, "seconds": <wall time>}.`;

/** `edge-stl eval`. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      model: { type: 'string' },
      'test-index': { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      hp: { type: 'string', multiple: true, default: [] },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.model) throw new UsageError(`--model is required\n\n${USAGE}`);
  if (!values['test-index']) throw new UsageError(`--test-index is required\n\n${USAGE}`);
  const backend = values.backend as BackendChoice;
  if (!BACKEND_CHOICES.includes(backend))
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}`);
  const test = await loadDataset(values['test-index']);
  const model = await loadModel(values.model, backend, parseHyperparameterFlags(values.hp ?? []));
  try {
    const t0 = Date.now();
    const metrics = await model.evaluate(test, undefined);
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    console.log(
      JSON.stringify({
        f1_score: metrics.f1_score,
        mAP50: metrics.mAP50,
        images: test.samples.length,
        seconds,
      }),
    );
    return 0;
  } finally {
    await model.dispose();
  }
}
