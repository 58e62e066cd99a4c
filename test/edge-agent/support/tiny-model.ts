/**
 * A tiny real FPN model for the edge-agent tests, trained once and cached under the OS temp dir,
 * keyed by a hash of the FPN sources and the recipe, so test files share it and a detector change
 * retrains it.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FpnModel, writeSyntheticDataset } from '../../../lib/builtin-algorithms/fpn/index.js';
import { loadDataset } from '../../../lib/dataset/index.js';
import { sha256File } from '../../../lib/model-package/index.js';

const FPN_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../lib/builtin-algorithms/fpn');

export interface TinyModel {
  path: string;
  sha256: string;
}

/** Trains (or reuses) the tiny model `variant`; different variants are different models (seeds). */
export async function tinyModelZip(variant = 1): Promise<TinyModel> {
  const recipe = { preset: 'tiny', max_iteration: 12, seed: variant, images: 6 };
  const key = await sourceHash(JSON.stringify(recipe));
  const path = join(tmpdir(), 'edge-stl-test-models', `fpn-tiny-${key}.zip`);
  if (!(await stat(path).catch(() => null))) await train(recipe, path);
  return { path, sha256: await sha256File(path) };
}

async function train(
  recipe: { preset: string; max_iteration: number; seed: number; images: number },
  path: string,
) {
  const work = await mkdtemp(join(tmpdir(), 'edge-agent-tiny-'));
  try {
    const synth = await writeSyntheticDataset(join(work, 'data'), { images: recipe.images });
    const model = new FpnModel({
      preset: recipe.preset,
      max_iteration: recipe.max_iteration,
      seed: recipe.seed,
    });
    await model.train(await loadDataset(synth.indexPath), undefined, { workDir: join(work, 'train') });
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await model.save(tmp);
    await model.dispose();
    await rename(tmp, path);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function sourceHash(extra: string): Promise<string> {
  const hash = createHash('sha256').update(extra);
  for (const name of (await readdir(FPN_DIR)).sort()) {
    if (name.endsWith('.ts')) hash.update(name).update(await readFile(join(FPN_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}
