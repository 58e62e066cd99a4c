import { loadModel } from '../../lib/builtin-algorithms/model-loader.js';
import { choiceFlag, parseFlags } from '../../lib/cli/args.js';
import { parseHyperparameterFlags } from '../../lib/cli/hyperparameters.js';
import { loadDataset } from '../../lib/dataset/index.js';
import { UsageError } from '../../lib/errors/index.js';
import { BACKEND_CHOICES } from '../../lib/tf/index.js';

export const usage = `Usage: edge-stl eval --model MODEL.zip --test-index PATH [--backend auto|tensorflow|wasm|cpu] [--hp key=value ...]

Predicts every image of the Ianvs index and scores it. The last stdout line is one JSON object:
{"f1_score": <Ianvs PCB-AoI F1>, "mAP50": <VOC mAP@0.5>, "images": <n>, "seconds": <wall time>}.`;

/** `edge-stl eval`. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags({
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
    console.log(usage);
    return 0;
  }
  if (!values.model) throw new UsageError('--model is required');
  if (!values['test-index']) throw new UsageError('--test-index is required');
  const backend = choiceFlag('backend', values.backend, BACKEND_CHOICES);
  const hp = parseHyperparameterFlags(values.hp ?? []);
  const test = await loadDataset(values['test-index']);
  const model = await loadModel(values.model, backend, hp);
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
