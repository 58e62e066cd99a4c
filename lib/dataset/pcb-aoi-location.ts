import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where this module sits; the repository root is two levels up (from lib/dataset or dist/lib/dataset). */
function repoRootCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [resolve(here, '..', '..'), resolve(here, '..', '..', '..')];
}

/**
 * Finds the PCB-AoI dataset (Ianvs layout) without copying it: `EDGE_STL_PCB_AOI_DIR`, else
 * `../shared/datasets/pcb-aoi` beside the checkout, else `/work/shared/datasets/pcb-aoi`.
 * Returns null when none holds `train_data/index.txt`.
 */
export function findPcbAoiDataset(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [
    env.EDGE_STL_PCB_AOI_DIR,
    ...repoRootCandidates().map((root) => join(root, '..', 'shared', 'datasets', 'pcb-aoi')),
    '/work/shared/datasets/pcb-aoi',
  ].filter((p): p is string => Boolean(p));
  return candidates.find((dir) => existsSync(join(dir, 'train_data', 'index.txt'))) ?? null;
}
