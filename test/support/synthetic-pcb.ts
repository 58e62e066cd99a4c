/**
 * Synthetic PCB-AoI splits for tests, generated once per suite run into the run's temp dir
 * (EDGE_STL_TEST_DATA_DIR, set by global setup) and reused by every test file that asks again.
 * The suite needs no dataset outside the repository.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesizeDataset } from '../../lib/dataset/synth/index.js';

export interface SyntheticSplit {
  line: 1 | 2;
  split: string;
  count: number;
  seed?: number;
}

function cacheRoot(): string {
  return process.env.EDGE_STL_TEST_DATA_DIR ?? join(tmpdir(), 'edge-stl-test-cache');
}

/** The split's directory (index.txt, JPEGImages/, Annotations/), generated on first use. */
export async function syntheticPcbSplit(spec: SyntheticSplit): Promise<string> {
  const seed = spec.seed ?? 7;
  const dir = join(cacheRoot(), 'synthetic-pcb', `line${spec.line}-${spec.split}-${spec.count}-s${seed}`);
  if (existsSync(join(dir, 'index.txt'))) return dir;
  // Generate beside, then rename: a crash never leaves a half-written split that looks complete.
  await mkdir(join(cacheRoot(), 'synthetic-pcb'), { recursive: true });
  const partial = await mkdtemp(`${dir}.partial-`);
  await synthesizeDataset({ out: partial, line: spec.line, split: spec.split, count: spec.count, seed });
  await rename(partial, dir).catch(async (err: NodeJS.ErrnoException) => {
    // Another test file won the race: keep its copy.
    await rm(partial, { recursive: true, force: true });
    if (!existsSync(join(dir, 'index.txt'))) throw err;
  });
  return dir;
}
