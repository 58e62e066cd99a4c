/**
 * The dataset a bench runs on: `BENCH_DATASET` (a directory with train_data/ and test_data/ in the
 * Ianvs layout, e.g. a pulled PCB-AoI), else line 1 of the synthetic PCB-AoI generator (240 train,
 * 60 test), made once into the temp dir.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { synthesizeDataset } from '../lib/dataset/synth/index.js';

export async function benchDataset(): Promise<string> {
  if (process.env.BENCH_DATASET) return resolve(process.env.BENCH_DATASET);
  const dir = join(tmpdir(), 'edge-stl-bench-data', 'synthetic-line1-s1');
  for (const [split, count] of [
    ['train_data', 240],
    ['test_data', 60],
  ] as const) {
    if (!existsSync(join(dir, split, 'index.txt')))
      await synthesizeDataset({ out: join(dir, split), line: 1, split, count, seed: 1 });
  }
  return dir;
}
