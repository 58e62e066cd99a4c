import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadModel } from '../../lib/builtin-algorithms/model-loader.js';
import { registerAlgorithms } from '../../lib/builtin-algorithms/register.js';
import { BACKEND_SETTING } from '../../lib/cli/backend-setting.js';
import { HP_SETTING, parseHyperparameterFlags } from '../../lib/cli/hyperparameters.js';
import { PLUGIN_SETTING } from '../../lib/cli/plugin-setting.js';
import { parseSettings, settingsUsage, stringSetting } from '../../lib/cli/settings.js';
import { loadDataset } from '../../lib/dataset/index.js';
import { UsageError } from '../../lib/errors/index.js';
import { drawDetections } from '../../lib/image/index.js';

const SETTINGS = {
  model: stringSetting({ arg: 'MODEL.zip', help: 'the model (required)' }),
  index: stringSetting({ arg: 'PATH', help: 'Ianvs index whose images to predict (or IMAGE paths)' }),
  out: stringSetting({ arg: 'PREDICTIONS.json', help: 'where the predict_dict goes (required)' }),
  draw: stringSetting({ arg: 'DIR', help: 'write each image with its boxes as DIR/<name>.png' }),
  backend: BACKEND_SETTING,
  hp: HP_SETTING,
  plugin: PLUGIN_SETTING,
};

export const usage = settingsUsage(SETTINGS, {
  head: `Usage: edge-stl predict --model MODEL.zip (--index PATH | IMAGE...) --out PREDICTIONS.json [options]

Runs the model on the images (or every image of an Ianvs index) and writes the Ianvs predict_dict
as JSON: { "<image basename>": [{ "name": "<class>", "bbox": [[ymin, xmin, ymax, xmax, score], ...] }] }
in the frame where the short side is 640. --draw writes each image with its boxes as DIR/<name>.png.
--hp overrides inference settings (score_threshold, nms_iou, max_per_class). A model whose
manifest names a plugin's algorithm needs that --plugin.`,
});

/** `edge-stl predict`. */
export async function run(argv: string[]): Promise<number> {
  const parsed = parseSettings(SETTINGS, argv, process.env, { allowPositionals: true });
  if (parsed.help) {
    console.log(usage);
    return 0;
  }
  const { values, positionals } = parsed;
  if (!values.model) throw new UsageError('--model is required');
  if (!values.out) throw new UsageError('--out is required');
  if (!values.index === (positionals.length === 0))
    throw new UsageError('give either --index or image paths');
  const hp = parseHyperparameterFlags(values.hp);
  const images = values.index
    ? (await loadDataset(values.index)).samples.map((s) => s.imagePath)
    : positionals.map((p) => resolve(p));
  await registerAlgorithms(values.plugin);
  const model = await loadModel(values.model, values.backend, hp);
  try {
    const t0 = Date.now();
    const dict = await model.predict(images);
    await writeFile(values.out, JSON.stringify(dict));
    if (values.draw) {
      await mkdir(values.draw, { recursive: true });
      const classes = Object.values(dict)[0]?.map((e) => e.name) ?? [];
      for (const img of images) {
        await drawDetections(
          img,
          await model.detect(img),
          classes,
          join(values.draw, `${basename(img).replace(/\.[^.]+$/, '')}.png`),
        );
      }
    }
    const boxes = Object.values(dict).reduce((n, es) => n + es.reduce((m, e) => m + e.bbox.length, 0), 0);
    console.log(
      JSON.stringify({ out: values.out, images: images.length, boxes, seconds: (Date.now() - t0) / 1000 }),
    );
    return 0;
  } finally {
    await model.dispose();
  }
}
