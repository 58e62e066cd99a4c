import { loadModel } from '../../lib/builtin-algorithms/model-loader.js';
import { registerAlgorithms } from '../../lib/builtin-algorithms/register.js';
import { BACKEND_SETTING } from '../../lib/cli/backend-setting.js';
import { HP_SETTING, parseHyperparameterFlags } from '../../lib/cli/hyperparameters.js';
import { PLUGIN_SETTING } from '../../lib/cli/plugin-setting.js';
import { parseSettings, settingsUsage, stringSetting } from '../../lib/cli/settings.js';
import { loadDataset } from '../../lib/dataset/index.js';
import { UsageError } from '../../lib/errors/index.js';

const SETTINGS = {
  model: stringSetting({ arg: 'MODEL.zip', help: 'the model (required)' }),
  'test-index': stringSetting({ arg: 'PATH', help: 'Ianvs index, local or s3:// (required)' }),
  backend: BACKEND_SETTING,
  hp: HP_SETTING,
  plugin: PLUGIN_SETTING,
};

export const usage = settingsUsage(SETTINGS, {
  head: `Usage: edge-stl eval --model MODEL.zip --test-index PATH [options]

Predicts every image of the Ianvs index and scores it. The last stdout line is one JSON object:
{"f1_score": <Ianvs PCB-AoI F1>, "mAP50": <VOC mAP@0.5>, "images": <n>, "seconds": <wall time>}.
A model whose manifest names a plugin's algorithm needs that --plugin.`,
});

/** `edge-stl eval`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseSettings(SETTINGS, argv, process.env);
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const values = parsed.values;
  if (!values.model) throw new UsageError('--model is required');
  if (!values['test-index']) throw new UsageError('--test-index is required');
  const hp = parseHyperparameterFlags(values.hp);
  const test = await loadDataset(values['test-index']);
  await registerAlgorithms(values.plugin);
  const model = await loadModel(values.model, values.backend, hp);
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
