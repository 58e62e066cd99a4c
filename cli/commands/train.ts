import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createModel, progressReporter } from '../../lib/builtin-algorithms/model-loader.js';
import { registerAlgorithms } from '../../lib/builtin-algorithms/register.js';
import { BACKEND_SETTING } from '../../lib/cli/backend-setting.js';
import { HP_SETTING, parseHyperparameterFlags } from '../../lib/cli/hyperparameters.js';
import { PLUGIN_SETTING } from '../../lib/cli/plugin-setting.js';
import { parseSettings, settingsUsage, stringSetting } from '../../lib/cli/settings.js';
import { loadDataset } from '../../lib/dataset/index.js';
import { readManifest } from '../../lib/model-package/index.js';
import { UsageError } from '../../lib/errors/index.js';

const SETTINGS = {
  'train-index': stringSetting({ arg: 'PATH', help: 'Ianvs index to train on, local or s3:// (required)' }),
  'test-index': stringSetting({ arg: 'PATH', help: 'Ianvs index to evaluate on' }),
  out: stringSetting({ arg: 'MODEL.zip', help: 'where the model goes (required)' }),
  algorithm: stringSetting({
    arg: 'ALIAS',
    default: 'FPN',
    help: 'registered algorithm (a plugin may add some)',
  }),
  hp: HP_SETTING,
  backend: BACKEND_SETTING,
  init: stringSetting({ arg: 'MODEL.zip', help: 'start from this model (fine-tuning)' }),
  'work-dir': stringSetting({
    arg: 'DIR',
    defaultText: 'a temporary dir',
    help: 'checkpoints; kept when given',
  }),
  resume: stringSetting({ arg: 'CHECKPOINT_DIR', help: 'continue an interrupted run' }),
  plugin: PLUGIN_SETTING,
};

export const usage = settingsUsage(SETTINGS, {
  head: `Usage: edge-stl train --train-index PATH [--test-index PATH] --out MODEL.zip [options]

Trains a detector on an Ianvs index (local path or s3:// URI) and writes MODEL.zip. With
--test-index, evaluates on it and stores f1_score / mAP50 in the manifest. --init starts from an
existing model (fine-tuning); --resume continues an interrupted run from a checkpoint directory
that --work-dir kept (weights, optimizer state, iteration and time used). Progress: a bar on a TTY, plain lines otherwise. The last stdout line
is one JSON object: {"model", "iterations", "seconds", "f1_score"?, "mAP50"?}.

Hyperparameters (FPN): preset=default|quick|tiny, backbone=resnet18|mobilenetv2, learning_rate,
momentum, max_iteration, batch_size, weight_decay, warmup_iterations, short_side, crop_size, ...`,
});

/** `edge-stl train`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseSettings(SETTINGS, argv, process.env);
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const values = parsed.values;
  if (!values['train-index']) throw new UsageError('--train-index is required');
  if (!values.out) throw new UsageError('--out is required');
  const hp = parseHyperparameterFlags(values.hp);
  const t0 = Date.now();
  // The data first: a wrong path fails before the backend starts (and logs).
  const train = await loadDataset(values['train-index']);
  const test = values['test-index'] ? await loadDataset(values['test-index']) : undefined;
  await registerAlgorithms(values.plugin);
  const model = await createModel(values.algorithm, hp, values.backend);
  const workDir = values['work-dir']
    ? resolve(values['work-dir'])
    : await mkdtemp(join(tmpdir(), 'edge-stl-train-'));
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    if (values.init) await model.load(values.init);
    await model.train(train, test, {
      workDir,
      onProgress: progressReporter(),
      signal: controller.signal,
      resumeFrom: values.resume,
    });
    const out = await model.save(resolve(values.out));
    // train() evaluated on the test set already; the figures are in the manifest.
    const manifest = await readManifest(out);
    const summary = {
      model: out,
      aborted: controller.signal.aborted,
      seconds: Math.round((Date.now() - t0) / 1000),
      iterations: manifest.training?.iterations,
      ...manifest.metrics,
    };
    console.log(JSON.stringify(summary));
    return controller.signal.aborted ? 1 : 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await model.dispose();
    if (!values['work-dir']) await rm(workDir, { recursive: true, force: true });
  }
}
