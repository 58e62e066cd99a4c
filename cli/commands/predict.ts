import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { loadModel } from '../../lib/builtin-algorithms/model-loader.js';
import { choiceFlag, parseFlags } from '../../lib/cli/args.js';
import { parseHyperparameterFlags } from '../../lib/cli/hyperparameters.js';
import { loadDataset } from '../../lib/dataset/index.js';
import { UsageError } from '../../lib/errors/index.js';
import { drawDetections } from '../../lib/image/index.js';
import { BACKEND_CHOICES } from '../../lib/tf/index.js';

export const usage = `Usage: edge-stl predict --model MODEL.zip (--index PATH | IMAGE...) --out PREDICTIONS.json
                         [--draw DIR] [--backend auto|tensorflow|wasm|cpu] [--hp key=value ...]

Runs the model on the images (or every image of an Ianvs index) and writes the Ianvs predict_dict
as JSON: { "<image basename>": [{ "name": "<class>", "bbox": [[ymin, xmin, ymax, xmax, score], ...] }] }
in the frame where the short side is 640. --draw writes each image with its boxes as DIR/<name>.png.
--hp overrides inference settings (score_threshold, nms_iou, max_per_class).`;

/** `edge-stl predict`. */
export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      model: { type: 'string' },
      index: { type: 'string' },
      out: { type: 'string' },
      draw: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      hp: { type: 'string', multiple: true, default: [] },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!values.model) throw new UsageError('--model is required');
  if (!values.out) throw new UsageError('--out is required');
  if (!values.index === (positionals.length === 0))
    throw new UsageError('give either --index or image paths');
  const backend = choiceFlag('backend', values.backend, BACKEND_CHOICES);
  const hp = parseHyperparameterFlags(values.hp ?? []);
  const images = values.index
    ? (await loadDataset(values.index)).samples.map((s) => s.imagePath)
    : positionals.map((p) => resolve(p));
  const model = await loadModel(values.model, backend, hp);
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
